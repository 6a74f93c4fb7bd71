import type { CdcOutputProvider, CdcStream, CdcTakeover } from '../surfaces/cdcOutput.js';
import type { PreparedHandoff, StepContext } from './discipline.js';
import { describeValue, expectMethods } from './shape.js';

/** Checks a stream a provider returned. */
export const streamCheck = expectMethods('a CdcStream', 'deliver', 'checkpoint', 'shutdown');

/** Checks what `detach()` returned: a takeover with a layout, an LSN and `close`. */
function takeoverCheck(value: unknown): string | undefined {
  const t = value as Partial<CdcTakeover> | null;
  if (typeof t !== 'object' || t === null) return `expected a CdcTakeover, got ${describeValue(value)}`;
  if (typeof t.layout !== 'string' || typeof t.output !== 'string') return 'a CdcTakeover needs an output and a layout';
  if (typeof t.lsn !== 'bigint' || t.lsn < 0n)
    return `a CdcTakeover needs an LSN (a bigint >= 0), got ${describeValue(t.lsn)}`;
  if (typeof t.close !== 'function') return 'a CdcTakeover needs close()';
  return undefined;
}

/** True when `old` can be taken over in memory by `next` (both have the hooks). */
export function canTakeOver(old: CdcStream, next: CdcOutputProvider): boolean {
  return typeof old.detach === 'function' && typeof next.adopt === 'function';
}

/** Detaches `stream` (no I/O): what it held, for `adopt`. */
export async function detach(stream: CdcStream, context: StepContext): Promise<CdcTakeover> {
  const takeover = await context.call('detach', (signal) => stream.detach!({ signal }), {
    check: takeoverCheck,
    // A detach that settles after its step was abandoned: nobody will adopt it, so release what it holds.
    onLate: (late) => (takeoverCheck(late) === undefined ? late.close() : undefined),
  });
  context.noteCheckpoint(takeover.lsn);
  return takeover;
}

/** Where a takeover stands: closed (checkpointed and released) at an LSN, or still open. */
export interface TakeoverState {
  closedAt: bigint | undefined;
}

/**
 * `provider.adopt(takeover)`, or — when it answers `undefined` (a layout it does not read) —
 * `takeover.close()` (checkpoint + release; recorded in `state`) and `provider.start({ fromLsn })`
 * at that LSN. Resolves with the stream and whether it was adopted; rejects when adopt throws (the
 * takeover is still open then) or the fallback fails.
 */
async function continueOn(
  provider: CdcOutputProvider,
  takeover: CdcTakeover,
  state: TakeoverState,
  context: StepContext,
  step: string,
): Promise<{ stream: CdcStream; adopted: boolean }> {
  if (state.closedAt === undefined && typeof provider.adopt === 'function') {
    const adopted = await context.call('adopt', (signal) => provider.adopt!(takeover, { signal }), {
      check: (v) => (v === undefined ? undefined : streamCheck(v)),
      onLate: (late) => late?.shutdown(),
    });
    if (adopted !== undefined) return { stream: adopted, adopted: true };
  }
  if (state.closedAt === undefined) {
    const lsn = await context.call('close takeover', (signal) => takeover.close({ signal }), {
      check: (v) => (typeof v === 'bigint' ? undefined : `expected an LSN, got ${describeValue(v)}`),
    });
    state.closedAt = lsn;
    if (lsn !== takeover.lsn)
      throw context.fail(
        'close takeover',
        `the takeover closed at LSN ${lsn}, but the stream had delivered through ${takeover.lsn}`,
      );
  }
  const fromLsn = state.closedAt;
  const stream = await context.call(step, (signal) => provider.start({ fromLsn, signal }), {
    check: streamCheck,
    onLate: (late) => late.shutdown(),
  });
  return { stream, adopted: false };
}

/**
 * Hands a detached stream back to the old provider after the new side failed: adopt, else a
 * restart at the closed takeover's LSN. When that fails too, the old stream is lost and the error
 * names the LSN to restart from. Always rejects with `error` (or that loss).
 */
export async function giveBack(
  oldProvider: CdcOutputProvider,
  takeover: CdcTakeover,
  state: TakeoverState,
  context: StepContext,
  error: unknown,
): Promise<never> {
  const undo = context.undoContext();
  let back: CdcStream;
  try {
    back = (await continueOn(oldProvider, takeover, state, undo, 'restart old')).stream;
  } catch (adoptError) {
    // The old provider would not adopt it either: close the takeover and restart there.
    try {
      back = (await continueOn(withoutAdopt(oldProvider), takeover, state, undo, 'restart old')).stream;
    } catch (restartError) {
      context.markOldLost();
      const at = state.closedAt ?? takeover.lsn;
      throw context.fail(
        'start',
        `the new stream could not take over and giving it back to the old provider failed too; restart '${context.name}' from LSN ${at}`,
        new AggregateError([error, adoptError, restartError], 'takeover and restart both failed'),
      );
    }
  }
  context.handBack(back, state.closedAt ?? takeover.lsn);
  throw error;
}

/** `provider` seen without its `adopt` (to take the close-and-start path). */
function withoutAdopt(provider: CdcOutputProvider): CdcOutputProvider {
  return { name: provider.name, start: (options) => provider.start(options) };
}

/**
 * Inside the pause: the new provider adopts the detached old stream (no checkpoint, no I/O). If
 * the new side cannot continue, the old provider takes the stream back ({@link giveBack}).
 */
export async function takeOver(
  oldProvider: CdcOutputProvider,
  next: CdcOutputProvider,
  takeover: CdcTakeover,
  context: StepContext,
): Promise<PreparedHandoff<CdcStream>> {
  const state: TakeoverState = { closedAt: undefined };
  let moved: { stream: CdcStream; adopted: boolean };
  try {
    moved = await continueOn(next, takeover, state, context, 'start');
  } catch (error) {
    return giveBack(oldProvider, takeover, state, context, error);
  }
  const stream = moved.stream;
  return {
    next: stream,
    detail: { checkpointLsn: state.closedAt ?? takeover.lsn, byReference: moved.adopted },
    release: async () => undefined, // the old stream was detached by the handoff itself
    undo: async (ctx) => {
      // Nothing was delivered to the new stream (deliveries wait until commit): hand it back.
      if (typeof stream.detach === 'function') {
        const back = await detach(stream, ctx);
        return (await continueOn(oldProvider, back, { closedAt: undefined }, ctx, 'restart old')).stream;
      }
      const at = await ctx.call('checkpoint', (signal) => stream.checkpoint({ signal })).catch(() => takeover.lsn);
      await ctx.call('shutdown', (signal) => stream.shutdown({ signal })).catch(() => undefined);
      return ctx.call('restart old', (signal) => oldProvider.start({ fromLsn: at, signal }), { check: streamCheck });
    },
  };
}
