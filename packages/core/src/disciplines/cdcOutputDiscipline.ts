import type { CdcOutputProvider, CdcStream } from '../surfaces/cdcOutput.js';
import { canTakeOver, detach, giveBack, streamCheck, takeOver } from './cdcTakeover.js';
import type { KindDiscipline, StepContext } from './discipline.js';
import { describeValue, shapeProblems } from './shape.js';

/** Validates a checkpoint LSN returned by a provider. */
function lsnCheck(value: unknown): string | undefined {
  return typeof value === 'bigint' && value >= 0n
    ? undefined
    : `expected an LSN (a bigint >= 0), got ${describeValue(value)}`;
}

async function checkpointOf(stream: CdcStream, context: StepContext): Promise<bigint> {
  const lsn = await context.call('checkpoint', (signal) => stream.checkpoint({ signal }), { check: lsnCheck });
  context.noteCheckpoint(lsn);
  return lsn;
}

async function startAt(
  provider: CdcOutputProvider,
  fromLsn: bigint,
  context: StepContext,
  step: string,
): Promise<CdcStream> {
  return context.call(step, (signal) => provider.start({ fromLsn, signal }), {
    check: streamCheck,
    onLate: (late) => late.shutdown(),
  });
}

/**
 * Why handing over at `lsn` would lose or duplicate batches, given the host's `expectedLsn` (end of
 * the last batch delivered) and `maxLsn` (what a delivery of unknown outcome may have written).
 */
function lsnMismatch(lsn: bigint, params: Readonly<Record<string, unknown>>, what: string): string | undefined {
  const expected = params['expectedLsn'];
  const max = typeof params['maxLsn'] === 'bigint' ? params['maxLsn'] : expected;
  if (typeof expected !== 'bigint' || (lsn >= expected && lsn <= (max as bigint))) return undefined;
  const through =
    max === expected ? `${expected}` : `${expected} (a failed delivery may have reached ${max as bigint})`;
  return `${what} LSN ${lsn} but batches were delivered through LSN ${through}; handing off would lose or duplicate batches`;
}

/** How a CDC stream is started: after a checkpoint LSN, or from the output's own checkpoint. */
export interface CdcOpenRequest {
  readonly fromLsn?: bigint;
}

/**
 * CDC outputs: `checkpoint()` on the old stream (an LSN), `shutdown()`, then `start({ fromLsn })`
 * on the new provider. Deliveries are paused meanwhile (the kind pauses callers). If the new start
 * fails, the old provider is restarted at the same LSN and handed back; undo after success stops
 * the new stream at its own checkpoint and restarts the old provider there. When the host passes
 * `params.expectedLsn` (the end of the last batch it delivered), a checkpoint that disagrees is
 * refused before anything is stopped: it would lose or duplicate batches. `params.maxLsn` widens
 * that to what a delivery whose outcome is unknown (it failed after the write, say) may have
 * written: the new stream skips those batches when they are delivered again. When the old stream
 * has `detach` and the new provider `adopt`, the new stream takes the old one over in memory
 * instead: no checkpoint, no I/O inside the pause (see `cdcTakeover.ts`).
 */
export const cdcOutputDiscipline: KindDiscipline<CdcOutputProvider, CdcStream, CdcOpenRequest> & {
  readonly mode: 'checkpointRestart';
  readonly pausesCallers: true;
} = {
  kind: 'cdcOutput',
  mode: 'checkpointRestart',
  description: 'checkpoint() on the old stream (an LSN), shutdown(), then start({ fromLsn }) on the new provider',
  pausesCallers: true,
  keyOf: (provider) => provider.name,
  validate: (provider) => shapeProblems(provider, { strings: ['name'], methods: ['start'] }),
  checkResource: streamCheck,
  /** Starts the stream and reads its first checkpoint (`detail.checkpointLsn`): nothing before it is delivered. */
  async open(provider, request, context) {
    const signal = context.signal === undefined ? {} : { signal: context.signal };
    const stream = await context.call('start', () =>
      provider.start({ ...(request.fromLsn === undefined ? {} : { fromLsn: request.fromLsn }), ...signal }),
    );
    if (typeof stream?.checkpoint !== 'function') return { resource: stream };
    const lsn = await context.call('checkpoint', () => stream.checkpoint(signal));
    return { resource: stream, detail: typeof lsn === 'bigint' ? { checkpointLsn: lsn } : {} };
  },
  async handoff({ old, oldProvider, next, params }, context) {
    if (!oldProvider)
      throw context.fail('checkpoint', 'a CDC handoff needs the old provider, to restart it if the new one fails');
    if (canTakeOver(old, next)) {
      let takeover;
      try {
        takeover = await detach(old, context);
      } catch (error) {
        // A stream that still checkpoints was not disturbed; one that does not is lost.
        await checkpointOf(old, context.undoContext()).catch(() => {
          context.markOldLost();
        });
        throw error;
      }
      const wrong = lsnMismatch(takeover.lsn, params, 'detach() reported');
      if (wrong !== undefined)
        return giveBack(oldProvider, takeover, { closedAt: undefined }, context, context.fail('detach', wrong));
      return takeOver(oldProvider, next, takeover, context);
    }
    const lsn = await checkpointOf(old, context);
    const wrong = lsnMismatch(lsn, params, 'checkpoint() returned');
    if (wrong !== undefined) throw context.fail('checkpoint', wrong);
    const restartOld = async (error: unknown): Promise<never> => {
      let restored: CdcStream;
      try {
        restored = await startAt(oldProvider, lsn, context.undoContext(), 'restart old');
      } catch (restartError) {
        context.markOldLost();
        throw context.fail(
          'start',
          `the handoff failed and restarting the old provider at LSN ${lsn} failed too; ` +
            `restart '${context.name}' from LSN ${lsn} (no batch after it was written)`,
          new AggregateError([error, restartError], 'handoff and restart both failed'),
        );
      }
      context.handBack(restored, lsn);
      throw error;
    };
    // From here the old stream may be stopped (a shutdown that failed or was abandoned may still
    // have run): any failure restarts the old provider at the checkpoint, which is always safe
    // because deliveries were drained before it was taken.
    try {
      await context.call('shutdown', (signal) => old.shutdown({ signal }));
    } catch (error) {
      return restartOld(error);
    }
    let stream: CdcStream;
    try {
      stream = await startAt(next, lsn, context, 'start');
    } catch (error) {
      return restartOld(error);
    }
    return {
      next: stream,
      detail: { checkpointLsn: lsn },
      release: async () => undefined, // the old stream was shut down by the handoff itself
      undo: async (ctx) => {
        // Nothing was delivered to the new stream (deliveries wait until commit), so the original
        // checkpoint stands if the new stream cannot give its own.
        const at = await checkpointOf(stream, ctx).catch(() => lsn);
        await ctx.call('shutdown', (signal) => stream.shutdown({ signal })).catch(() => undefined);
        return startAt(oldProvider, at, ctx, 'restart old');
      },
    };
  },
  async close(resource, context) {
    await checkpointOf(resource, context);
    await context.call('shutdown', (signal) => resource.shutdown({ signal }));
  },
};
