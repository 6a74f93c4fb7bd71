/**
 * Layout `file-cdc/1` of a detached file CDC stream (see `CdcTakeover` of `@baton/core`): what a
 * `FileCdcStream` hands the next version's provider in the same process, so the new stream goes on
 * writing the open sink without a checkpoint, a close or a re-open inside a reload's pause.
 *
 * `state` is exactly these fields (a field more or less is refused):
 * - `directory`: the sink directory as the stream resolved it (a real path);
 * - `handle`: the sink file, open for reading and writing (a `FileHandle`, `fd` not -1);
 * - `lease`: the stream's share of the process's lock on the sink (`sinkLock.ts`), its `lockFile`
 *   in `directory`;
 * - `durable`, `current`: the checkpoint on disk and the chain state through the last delivered
 *   batch (buffered records included), each a `FileCheckpoint`;
 * - `written`: bytes of the sink written so far (`durable.offset <= written <= current.offset`);
 * - `pending`: the records buffered but not written (`Uint8Array`s), `current.offset - written`
 *   bytes in all;
 * - `holder`: who owns the sink in this process's fencing registry (`sinkOwnership.ts`) until the
 *   takeover ends, with its `status` (`open`, then `adopted`, `closed` or `fenced`).
 *
 * The registry entry is what makes the takeover single-use: `adopt` and `close` move the sink from
 * `holder` to a new stream in one synchronous step and only while `holder` owns it, so a takeover
 * adopted, closed, or fenced by a newer `start` on the directory is refused (`RESOURCE_CLOSED`),
 * and two copies of this package (an old and a new plugin version) agree, as the registry lives on
 * `globalThis`. Nothing is read from disk: the shape is checked strictly, not the bytes.
 */
import { realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FileHandle } from 'node:fs/promises';
import type { CallOptions, CdcTakeover } from '@baton/core';
import { closedCdc, invalidCdc, MAX_LSN, throwIfAborted } from './batchCheck.js';
import type { CdcErrorContext } from './batchCheck.js';
import { checkCallOptions } from './cdcArgs.js';
import type { FileCheckpoint } from './fileCheckpoint.js';
import { LOCK_FILE } from './sinkLock.js';
import type { SinkLease } from './sinkLock.js';
import { ownsSink, transferSink } from './sinkOwnership.js';
import type { SinkOwner } from './sinkOwnership.js';

/** The layout name of a detached file CDC stream (see the module comment). */
export const FILE_CDC_LAYOUT = 'file-cdc/1';

/** Who owns the sink while a takeover is pending. */
interface TakeoverHolder extends SinkOwner {
  status: 'open' | 'adopted' | 'closed' | 'fenced';
}

/** The `state` of a `file-cdc/1` takeover (see the module comment). */
export interface FileCdcTakeoverState {
  readonly directory: string;
  readonly handle: FileHandle;
  readonly lease: SinkLease;
  readonly durable: FileCheckpoint;
  readonly current: FileCheckpoint;
  readonly written: number;
  readonly pending: readonly Uint8Array[];
  readonly holder: TakeoverHolder;
}

/** Makes the stream that continues a takeover (no I/O). */
export type OpenTakeover<S> = (state: FileCdcTakeoverState) => S;

/** What `close` needs of the stream it makes. */
type ClosingStream = SinkOwner & {
  checkpoint(options?: CallOptions): Promise<bigint>;
  shutdown(options?: CallOptions): Promise<void>;
};

const STATE_KEYS = ['current', 'directory', 'durable', 'handle', 'holder', 'lease', 'pending', 'written'];
const CHECKPOINT_KEYS = ['baseLsn', 'digest', 'generation', 'lastRecordOffset', 'lsn', 'offset', 'records'];
const STATUSES = new Set(['open', 'adopted', 'closed', 'fenced']);

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;
const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
const isLsn = (value: unknown): value is bigint => typeof value === 'bigint' && value >= 0n && value <= MAX_LSN;
const sameKeys = (value: object, keys: readonly string[]): boolean => Object.keys(value).sort().join() === keys.join();

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
  const holder: TakeoverHolder = {
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
    holder,
  });
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

/** `RESOURCE_CLOSED` unless the takeover is still open and its holder owns the sink. */
function checkOpen(state: FileCdcTakeoverState, context: CdcErrorContext, step: 'adopt' | 'close'): void {
  const { holder, directory } = state;
  if (holder.status === 'open' && ownsSink(directory, holder)) return;
  const why = holder.status === 'open' ? 'fenced by a newer start on the sink' : holder.status;
  throw closedCdc(context, step, `${step} of a takeover of ${directory} that was ${why} already`);
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
  const state = checkState(takeover.state, context, refuse);
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

function checkCheckpoint(value: unknown, what: string, refuse: (why: string) => Error): FileCheckpoint {
  if (!isObject(value) || !sameKeys(value, CHECKPOINT_KEYS))
    throw refuse(`state.${what} must be a checkpoint { ${CHECKPOINT_KEYS.join(', ')} }`);
  const { lsn, baseLsn, offset, lastRecordOffset, generation, records, digest } = value;
  const valid =
    isLsn(lsn) &&
    isLsn(baseLsn) &&
    baseLsn <= lsn &&
    isCount(offset) &&
    Number.isSafeInteger(lastRecordOffset) &&
    (lastRecordOffset === -1
      ? offset === 0
      : (lastRecordOffset as number) >= 0 && (lastRecordOffset as number) < offset) &&
    isCount(generation) &&
    isCount(records) &&
    isCount(digest) &&
    digest <= 0xffff_ffff;
  if (!valid) throw refuse(`state.${what} has malformed or inconsistent fields`);
  return value as unknown as FileCheckpoint;
}

function checkState(value: unknown, context: CdcErrorContext, refuse: (why: string) => Error): FileCdcTakeoverState {
  if (!isObject(value) || !sameKeys(value, STATE_KEYS))
    throw refuse(`state must be exactly { ${STATE_KEYS.join(', ')} }`);
  const { directory, handle, lease, written, pending, holder } = value;
  if (typeof directory !== 'string' || directory === '' || resolve(directory) !== directory)
    throw refuse('state.directory must be an absolute, resolved path');
  if (
    !isObject(holder) ||
    !STATUSES.has(holder.status as string) ||
    typeof holder.idle !== 'function' ||
    typeof holder.fenced !== 'function'
  )
    throw refuse('state.holder must be the sink holder { status, idle, fenced }');
  // A takeover adopted, closed or fenced already let go of its file: say so, not that the file is closed.
  checkOpen(value as unknown as FileCdcTakeoverState, context, 'adopt');
  if (
    !isObject(handle) ||
    !Number.isSafeInteger(handle.fd) ||
    (handle.fd as number) < 0 ||
    !['write', 'datasync', 'close'].every((method) => typeof handle[method] === 'function')
  )
    throw refuse('state.handle must be an open FileHandle');
  if (
    !isObject(lease) ||
    lease.lockFile !== join(directory, LOCK_FILE) ||
    !isObject(lease.owner) ||
    typeof lease.release !== 'function' ||
    !('validated' in lease)
  )
    throw refuse(`state.lease must be a lease of the lock ${join(directory, LOCK_FILE)}`);
  const durable = checkCheckpoint(value.durable, 'durable', refuse);
  const current = checkCheckpoint(value.current, 'current', refuse);
  if (!Array.isArray(pending) || !pending.every((record) => record instanceof Uint8Array))
    throw refuse('state.pending must be an array of Uint8Array records');
  const pendingBytes = pending.reduce((sum, record) => sum + record.byteLength, 0);
  const consistent =
    isCount(written) &&
    durable.offset <= written &&
    written + pendingBytes === current.offset &&
    durable.baseLsn === current.baseLsn &&
    durable.lsn <= current.lsn &&
    durable.generation <= current.generation &&
    durable.records <= current.records;
  if (!consistent)
    throw refuse(
      `state is inconsistent (durable offset ${durable.offset}, written ${String(written)}, ${pendingBytes} bytes pending, current offset ${current.offset})`,
    );
  return value as unknown as FileCdcTakeoverState;
}
