/**
 * The in-memory handoff of a file CDC stream: `detach` makes a takeover of layout `file-cdc/1`
 * (see `fileCdcTakeoverState.ts`), `adopt` continues it with the next version's code, `close`
 * checkpoints and releases it when nobody adopts it. No I/O on the way, except `close`'s checkpoint.
 */
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CallOptions, CdcTakeover } from '@baton/core';
import { closedCdc, invalidCdc, throwIfAborted } from './batchCheck.js';
import type { CdcErrorContext } from './batchCheck.js';
import { checkCallOptions } from './cdcArgs.js';
import { checkOpen, checkTakeoverState, FILE_CDC_LAYOUT, isObject } from './fileCdcTakeoverState.js';
import type { FileCdcTakeoverState, TakeoverHolder } from './fileCdcTakeoverState.js';
import { transferSink } from './sinkOwnership.js';
import type { SinkOwner } from './sinkOwnership.js';

/** Makes the stream that continues a takeover (no I/O). */
export type OpenTakeover<S> = (state: FileCdcTakeoverState) => S;

/** What `close` needs of the stream it makes. */
type ClosingStream = SinkOwner & {
  checkpoint(options?: CallOptions): Promise<bigint>;
  shutdown(options?: CallOptions): Promise<void>;
};

/**
 * Hands the sink of a stream (`from`, which owns it) to a new {@link TakeoverHolder} and returns the
 * takeover. `open` makes a stream of the detaching package's own code, for `close`.
 */
export function detachSink(
  parts: Omit<FileCdcTakeoverState, 'holder'> & { readonly key: string },
  from: SinkOwner,
  open: OpenTakeover<ClosingStream>,
): CdcTakeover {
  const { key, ...fields } = parts;
  const holder: Omit<TakeoverHolder, 'state'> = {
    status: 'open',
    idle: () => Promise.resolve(),
    async fenced() {
      if (holder.status !== 'open') return;
      holder.status = 'fenced';
      try {
        await fields.handle.close();
      } finally {
        fields.lease.release();
      }
    },
  };
  const state: FileCdcTakeoverState = Object.freeze({
    ...fields,
    pending: Object.freeze([...fields.pending]),
    holder: holder as TakeoverHolder,
  });
  // The holder names the one state it was made with: a copy of the takeover with a field changed is not it.
  Object.defineProperty(holder, 'state', { value: state, enumerable: true, writable: false, configurable: false });
  if (!transferSink(state.directory, from, holder))
    throw closedCdc({ key }, 'detach', `a newer stream was started on ${state.directory}; this one is fenced off`);
  return Object.freeze({
    output: key,
    layout: FILE_CDC_LAYOUT,
    lsn: state.current.lsn,
    state,
    async close(options: CallOptions = {}): Promise<bigint> {
      const { signal } = checkCallOptions<CallOptions>(options, 'takeover close options', { key });
      throwIfAborted(signal, { key }, 'close');
      const stream = takeOver(state, { key }, 'close', open);
      try {
        return await stream.checkpoint();
      } finally {
        await stream.shutdown();
      }
    },
  });
}

/**
 * Moves the sink from the takeover's holder to the stream `open` makes; `RESOURCE_CLOSED` when the
 * takeover was adopted, closed or fenced already (nothing changes then).
 */
function takeOver<S extends SinkOwner>(
  state: FileCdcTakeoverState,
  context: CdcErrorContext,
  step: 'adopt' | 'close',
  open: OpenTakeover<S>,
): S {
  const { holder, directory } = state;
  checkOpen(state, context, step);
  const stream = open(state);
  transferSink(directory, holder, stream); // holder owns the sink (checked above, nothing awaited since)
  holder.status = step === 'adopt' ? 'adopted' : 'closed';
  return stream;
}

/**
 * What `fileCdcOutput(...).adopt` does with a takeover: `undefined` for another layout;
 * `INVALID_ARGUMENT` naming the field for a takeover that is not a `file-cdc/1` one of this output
 * (another name or sink directory, a malformed or inconsistent state: it is then still open);
 * `RESOURCE_CLOSED` for one adopted, closed or fenced already; else the stream `open` makes, which
 * now owns the sink.
 */
export function adoptTakeover<S extends SinkOwner>(
  takeover: unknown,
  output: { readonly name: string; readonly directory: string },
  open: OpenTakeover<S>,
): S | undefined {
  const context = { key: output.name };
  const refuse = (why: string) => invalidCdc(context, `adopt: the takeover ${why}; nothing was taken over`);
  if (!isObject(takeover)) throw refuse('must be an object');
  const { layout } = takeover;
  if (typeof layout !== 'string') throw refuse('has no layout name');
  if (layout !== FILE_CDC_LAYOUT) return undefined;
  if (takeover.output !== output.name) throw refuse(`is of output '${String(takeover.output)}', not '${output.name}'`);
  const state = checkTakeoverState(takeover.state, context, refuse);
  if (!sameDirectory(output.directory, state.directory))
    throw refuse(`holds the sink in ${state.directory}, not this output's directory ${output.directory}`);
  if (takeover.lsn !== state.current.lsn)
    throw refuse(`says LSN ${String(takeover.lsn)} but its state is complete through ${state.current.lsn}`);
  return takeOver(state, context, 'adopt', open);
}

/** Whether `configured` names the directory whose real path is `real` (resolved without I/O when it can be). */
function sameDirectory(configured: string, real: string): boolean {
  if (resolve(configured) === real) return true;
  try {
    return realpathSync.native(configured) === real; // a relative path or a link: a few synchronous syscalls
  } catch {
    return false; // it does not exist: not the sink's directory
  }
}
