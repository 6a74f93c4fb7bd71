import { RegistrationSet, ReloadDispatcher } from '@baton/core';
import type { CdcBatch, CdcOutputProvider, CdcStream, MaybePromise } from '@baton/core';
import fc from 'fast-check';
import { cdcStreamWithCut, lsnRanges } from '../arbitraries/cdcBatches.js';
import type { CdcBatchOptions } from '../arbitraries/cdcBatches.js';
import { fail, show } from './describe.js';
import { assertParameters } from './runOptions.js';
import type { RunOptions } from './runOptions.js';

/** Options of {@link assertCdcHandoff}. */
export interface CdcHandoffOptions<S> extends RunOptions {
  /** A fresh, empty sink per case (a temporary directory, a position object, …). */
  readonly sink: () => MaybePromise<S>;
  /** The LSN ranges that reached the sink durably, in order. */
  readonly read: (sink: S) => MaybePromise<readonly Pick<CdcBatch, 'lsnStart' | 'lsnEnd'>[]>;
  /** Cleans a sink up after its case. */
  readonly dispose?: (sink: S) => MaybePromise<void>;
  /** Shape of the generated batch streams. */
  readonly batches?: CdcBatchOptions;
}

/** A provider whose first `start` fails, as a broken new version would. */
function failingOnce(provider: CdcOutputProvider): CdcOutputProvider {
  let failed = false;
  return {
    name: provider.name,
    start(options) {
      if (!failed) {
        failed = true;
        throw new Error('injected: the new version fails to start');
      }
      return provider.start(options);
    },
  };
}

/**
 * Proves a CDC output hands over exactly once: for generated batch streams, the old provider's
 * stream takes the batches before a generated cut point; the real reload discipline (checkpoint →
 * shutdown → `start({ fromLsn })`, through `ReloadDispatcher`) hands it to the new provider — or, in
 * generated cases, the new provider fails to start and the old one is restarted at the checkpoint —
 * then the host re-delivers from an earlier point (as after a restart) and the rest. The sink must
 * hold every batch exactly once, in order. Throws a readable counterexample (cut, LSNs) otherwise.
 */
export async function assertCdcHandoff<S>(
  oldProvider: (sink: S) => CdcOutputProvider,
  newProvider: (sink: S) => CdcOutputProvider,
  options: CdcHandoffOptions<S>,
): Promise<void> {
  const cases = fc.record({ stream: cdcStreamWithCut(options.batches), startFails: fc.boolean(), redeliver: fc.nat() });
  await fc.assert(
    fc.asyncProperty(cases, async ({ stream: { batches, cut }, startFails, redeliver }) => {
      const sink = await options.sink();
      try {
        const old = oldProvider(sink);
        const next = newProvider(sink);
        const name = old.name;
        const first: CdcStream = await old.start({});
        for (const batch of batches.slice(0, cut)) await first.deliver(batch);
        const expectedLsn = cut > 0 ? batches[cut - 1]!.lsnEnd : undefined;
        const where = `handoff after batch ${cut} of ${batches.length}${expectedLsn === undefined ? '' : ` (LSN ${expectedLsn})`}${startFails ? ', the new provider failing to start' : ''}`;
        const dispatcher = new ReloadDispatcher(RegistrationSet.empty(), RegistrationSet.empty(), {
          handoffs: [
            {
              kind: 'cdcOutput',
              name,
              old: first,
              oldProvider: old,
              next: startFails ? failingOnce(next) : next,
              params: expectedLsn === undefined ? {} : { expectedLsn },
            },
          ],
        });
        let current: CdcStream | undefined;
        const result = await dispatcher.dispatch();
        if (result.ok) {
          if (startFails) fail(`CDC '${name}': ${where}: the handoff succeeded although start failed`);
          current = result.outcome.resources.get('cdcOutput', name);
          await result.outcome.release();
        } else {
          const { error, rollback } = result;
          if (!startFails) fail(`CDC '${name}': ${where}: the handoff failed`, `${error.code}: ${error.message}`);
          current = rollback.restored.get('cdcOutput', name);
          if (!current)
            fail(`CDC '${name}': ${where}: the old provider was not restarted at the checkpoint`, error.message);
        }
        const from = redeliver % (cut + 1);
        for (const batch of batches.slice(from)) await current!.deliver(batch);
        await current!.checkpoint();
        await current!.shutdown();
        const got = lsnRanges(await options.read(sink));
        const want = lsnRanges(batches);
        if (got.join() !== want.join()) {
          const lost = want.filter((r) => !got.includes(r));
          const duplicated = got.filter((r, i) => got.indexOf(r) !== i);
          fail(
            `CDC '${name}': the sink does not hold every batch exactly once`,
            `${where}, then re-delivering from batch ${from}`,
            `lost ${show(lost)}, duplicated ${show(duplicated)}`,
            `expected ${show(want)}`,
            `sink     ${show(got)}`,
          );
        }
      } finally {
        await options.dispose?.(sink);
      }
    }),
    assertParameters(options),
  );
}
