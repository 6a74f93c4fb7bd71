import { RegistrationSet, ReloadDispatcher } from '@baton/core';
import type { CdcBatch, CdcOutputProvider, CdcStream, CdcTakeover, MaybePromise } from '@baton/core';
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
  /**
   * Demand the in-memory path: streams must have `detach`, the new provider `adopt`, and `adopt`
   * must continue a takeover of its own layout (default false: checked where both hooks exist, and
   * an `adopt` answering `undefined` — the host then closes the takeover and starts anew — is allowed).
   */
  readonly expectAdopt?: boolean;
  /**
   * The handoff paths cases take (default all): `restart` (checkpoint → shutdown → start),
   * `adopt` (detach → adopt) and `unknownLayout` (detach → adopt of a layout nobody reads → close →
   * start). Without both hooks every case restarts.
   */
  readonly paths?: readonly CdcHandoffPath[];
}

/** How a case of {@link assertCdcHandoff} hands the stream over (see {@link CdcHandoffOptions.paths}). */
export type CdcHandoffPath = 'restart' | 'adopt' | 'unknownLayout';
type Path = CdcHandoffPath;

/** What the wrappers of one case saw: takeovers made and closed, adopt answers, start positions. */
interface Seen {
  detached: CdcTakeover | undefined;
  closed: number;
  adopted: ('stream' | 'undefined' | 'threw')[];
  starts: (bigint | undefined)[];
}

const LAYOUT_NOBODY_READS = '+unknown-to-any-version';

/**
 * `stream` whose `detach` is recorded in `seen` (and, for `unknownLayout`, hands over a copy of the
 * takeover under a layout no version reads; its `close` is the original's).
 */
function watchedStream(stream: CdcStream, path: Path, seen: Seen): CdcStream {
  const watched: CdcStream = {
    deliver: (batch) => stream.deliver(batch),
    checkpoint: (options) => stream.checkpoint(options),
    shutdown: (options) => stream.shutdown(options),
  };
  if (path === 'restart' || typeof stream.detach !== 'function') return watched;
  return {
    ...watched,
    async detach(options) {
      const takeover = await stream.detach!(options);
      const close = async (o?: Parameters<CdcTakeover['close']>[0]): Promise<bigint> => {
        seen.closed++;
        return takeover.close(o);
      };
      seen.detached =
        path === 'unknownLayout'
          ? {
              output: takeover.output,
              layout: takeover.layout + LAYOUT_NOBODY_READS,
              lsn: takeover.lsn,
              state: takeover.state,
              close,
            }
          : takeover;
      return seen.detached;
    },
  };
}

/** Fails unless the generated path ran as the host runs it (see {@link assertCdcHandoff}). */
function checkPath(name: string, where: string, path: Path, seen: Seen, expectAdopt: boolean): void {
  if (path === 'restart') return;
  const takeover = seen.detached;
  if (!takeover) fail(`CDC '${name}': ${where}: the host did not detach the stream`);
  const answered = seen.adopted.at(-1);
  const restartedAt = `new provider started at ${show(seen.starts)}, takeover closed ${seen.closed} time(s)`;
  if (path === 'adopt' && answered === 'stream') {
    if (seen.starts.length > 0) fail(`CDC '${name}': ${where}: the adopted stream was also started anew`, restartedAt);
    return;
  }
  if (path === 'adopt' && expectAdopt)
    fail(
      `CDC '${name}': ${where}: adopt() answered ${answered ?? 'nothing'} for a takeover of its own layout '${takeover.layout}'`,
      'adoption was expected (expectAdopt): a reload would close the takeover and start anew',
    );
  if (path === 'unknownLayout' && answered !== 'undefined')
    fail(
      `CDC '${name}': ${where}: adopt() ${answered === 'stream' ? 'took' : 'threw on'} a takeover of a layout it does not read ('${takeover.layout}'); it must answer undefined`,
    );
  // The takeover's own close is counted on the unknown-layout copy only (the provider's takeover is not touched).
  const closedOnce = path === 'adopt' || seen.closed === 1;
  if (!closedOnce || seen.starts.length !== 1 || seen.starts[0] !== takeover.lsn)
    fail(
      `CDC '${name}': ${where}: a takeover nobody adopted must be closed once, then the new provider started at its LSN ${takeover.lsn}`,
      restartedAt,
    );
}

/** `provider` recording its `start` positions and `adopt` answers in `seen`. */
function watchedProvider(provider: CdcOutputProvider, seen: Seen): CdcOutputProvider {
  const watched: CdcOutputProvider = {
    name: provider.name,
    start(options) {
      seen.starts.push(options.fromLsn);
      return provider.start(options);
    },
  };
  if (typeof provider.adopt !== 'function') return watched;
  return {
    ...watched,
    async adopt(takeover, options) {
      try {
        const stream = await provider.adopt!(takeover, options);
        seen.adopted.push(stream === undefined ? 'undefined' : 'stream');
        return stream;
      } catch (error) {
        seen.adopted.push('threw');
        throw error;
      }
    },
  };
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
 * hold every batch exactly once, in order.
 *
 * When the old provider's streams have `detach` and the new provider `adopt`, generated cases also
 * take the in-memory path the host prefers then (detach → adopt, no checkpoint): the adopted stream
 * continues, nothing is closed or started (unless `adopt` answers `undefined`, allowed without
 * `expectAdopt`); and the path of a takeover whose layout the new provider does not read (the same
 * takeover under a layout no version knows): `adopt` must answer `undefined`, the takeover be closed
 * once and the new provider started at its LSN. In every path the sink must hold each batch exactly
 * once, in order. Throws a readable counterexample (path, cut, LSNs) otherwise.
 */
export async function assertCdcHandoff<S>(
  oldProvider: (sink: S) => CdcOutputProvider,
  newProvider: (sink: S) => CdcOutputProvider,
  options: CdcHandoffOptions<S>,
): Promise<void> {
  const cases = fc.record({
    stream: cdcStreamWithCut(options.batches),
    startFails: fc.boolean(),
    redeliver: fc.nat(),
    path: fc.constantFrom<Path>(...(options.paths ?? ['adopt', 'unknownLayout', 'restart'])),
  });
  await fc.assert(
    fc.asyncProperty(cases, async ({ stream: { batches, cut }, startFails, redeliver, path: drawn }) => {
      const sink = await options.sink();
      try {
        const seen: Seen = { detached: undefined, closed: 0, adopted: [], starts: [] };
        const old = oldProvider(sink);
        const plainNext = newProvider(sink);
        const next = watchedProvider(plainNext, seen);
        const name = old.name;
        const started: CdcStream = await old.start({});
        const hooks = typeof started.detach === 'function' && typeof plainNext.adopt === 'function';
        if (options.expectAdopt && !hooks)
          fail(
            `CDC '${name}': adoption was expected, but ${typeof started.detach === 'function' ? 'the new provider has no adopt()' : 'the stream has no detach()'}`,
          );
        const path: Path = hooks ? drawn : 'restart';
        const first = watchedStream(started, path, seen);
        for (const batch of batches.slice(0, cut)) await first.deliver(batch);
        const expectedLsn = cut > 0 ? batches[cut - 1]!.lsnEnd : undefined;
        const how = {
          restart: 'checkpoint → restart',
          adopt: 'detach → adopt',
          unknownLayout: 'detach → adopt of an unknown layout',
        }[path];
        const where = `${how}, handoff after batch ${cut} of ${batches.length}${expectedLsn === undefined ? '' : ` (LSN ${expectedLsn})`}${startFails ? ', the new provider failing to start' : ''}`;
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
          checkPath(name, where, path, seen, options.expectAdopt ?? false);
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
