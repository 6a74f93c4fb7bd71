import { createPluginHost, definePlugin } from '@baton/core';
import type { ManagedCdcStream, PluginDefinition, PluginHost, ReloadResult } from '@baton/core';
import { postgresCdcOutput } from '@baton/postgres';
import { BENCH_CDC, benchPlugin } from './benchPlugin.js';
import { SAMPLE_BATCH, LiveFeeders } from './liveFeeders.js';
import type { BenchPostgres } from './pgServer.js';
import { parallelConnects, resetSink } from './pgWorkload.js';
import type { BenchRow, GoalSection } from './results.js';
import { median } from './stats.js';

/** Options of {@link benchLivePause}. */
export interface LivePauseOptions {
  /** Numbers of live streams. */
  readonly streams: readonly number[];
  readonly rounds: number;
}

/** Untimed reloads of each host before the timed ones. */
const WARMUP_RELOADS = 1;

/** A plugin version whose `count` CDC outputs `pg-live-<i>` are `postgresCdcOutput`s (output `live_<i>`). */
function postgresPlugin(version: string, url: string, count: number): PluginDefinition {
  return definePlugin({
    name: 'bench-pg-live',
    version,
    register(r) {
      for (let i = 0; i < count; i++)
        r.cdcOutput(postgresCdcOutput({ name: `pg-live-${i}`, url, output: `live_${i}` }));
    },
  });
}

/** Milliseconds of each step of one handoff done by hand on a `postgresCdcOutput` writer (no host). */
interface HandSteps {
  readonly checkpoint: number;
  readonly shutdown: number;
  readonly start: number;
}

/**
 * The PostgreSQL work of one stream's handoff without Baton: a writer that delivered a batch is
 * checkpointed and shut down, and a new provider instance starts a writer at that LSN, each step
 * timed (medians of `rounds`).
 */
async function handHandoff(url: string, rounds: number): Promise<HandSteps> {
  const steps: HandSteps[] = [];
  let stream = await postgresCdcOutput({ name: 'hand', url, output: 'hand' }).start();
  let lsn = stream.position + 1n;
  for (let round = 0; round <= rounds; round++) {
    await stream.deliver({ ...SAMPLE_BATCH, lsnStart: lsn, lsnEnd: lsn + 1n });
    lsn += 1n;
    const t0 = performance.now();
    const at = await stream.checkpoint();
    const t1 = performance.now();
    await stream.shutdown();
    const t2 = performance.now();
    stream = await postgresCdcOutput({ name: 'hand', url, output: 'hand' }).start({ fromLsn: at });
    const t3 = performance.now();
    if (round > 0) steps.push({ checkpoint: t1 - t0, shutdown: t2 - t1, start: t3 - t2 }); // round 0 warms up
  }
  await stream.shutdown();
  return {
    checkpoint: median(steps.map((s) => s.checkpoint)),
    shutdown: median(steps.map((s) => s.shutdown)),
    start: median(steps.map((s) => s.start)),
  };
}

/** One side of a case: a host, its live streams, and how to reload it to a new version. */
interface Side {
  readonly host: PluginHost;
  readonly streams: readonly ManagedCdcStream[];
  readonly next: () => PluginDefinition;
  readonly results: ReloadResult[];
  delivered: number;
  failed: number;
  firstFailure: unknown;
}

/**
 * Reloads `side` while its streams are live: feeders keep delivering to every stream, the reload
 * starts once each stream took 2 deliveries, and the feeders stop once each took 2 more after it
 * (so every stream was written before and after the handoff). Returns the reload's result.
 */
async function liveReload(side: Side): Promise<ReloadResult> {
  const feeders = new LiveFeeders(side.streams, nextLsn(side.streams));
  try {
    await feeders.each(2);
    const result = await side.host.reload(side.next());
    await feeders.each(2);
    await feeders.stop();
    await result.retired;
    return result;
  } finally {
    await feeders.stop();
    side.delivered += feeders.delivered;
    side.failed += feeders.failed;
    side.firstFailure ??= feeders.firstFailure;
  }
}

/** The LSN after everything the streams were given (they resume where the last feeders stopped). */
function nextLsn(streams: readonly ManagedCdcStream[]): bigint {
  let next = 1n;
  for (const stream of streams) {
    const end = stream.deliveredThrough;
    if (end !== undefined && end > next) next = end;
  }
  return next;
}

/**
 * Goal 10: the pause of a reload (`ReloadResult.timings.pauseMs`) while N managed CDC streams whose
 * provider is `postgresCdcOutput` (one sink output each, on the bench's embedded PostgreSQL) are
 * live and receiving deliveries, beside the pause of the same reload with N in-memory streams (the
 * fake outputs of goals 3 and 7: checkpoint 1 ms), fed the same way, measured in the same run with
 * the reloads alternating.
 */
export async function benchLivePause(
  postgres: BenchPostgres,
  options: LivePauseOptions,
): Promise<Omit<GoalSection, 'seconds'>> {
  const server = await postgres.server();
  const sinkUrl = await server.createDatabase('bench_live_sink');
  const rows: BenchRow[] = [];
  const connectRows: BenchRow[] = [];
  const findings: string[] = [];
  for (const n of options.streams) {
    await resetSink(sinkUrl);
    let pgVersion = 1;
    let memVersion = 1;
    const pgHost = createPluginHost();
    const memHost = createPluginHost();
    try {
      await pgHost.load(postgresPlugin(`${pgVersion++}.0.0`, sinkUrl, n));
      await memHost.load(benchPlugin(`${memVersion++}.0.0`));
      const side = async (
        host: PluginHost,
        key: (i: number) => string,
        next: () => PluginDefinition,
      ): Promise<Side> => ({
        host,
        streams: await Promise.all(
          Array.from({ length: n }, (_, i) => host.startCdc({ name: `stream-${i}`, key: key(i), fromLsn: 0n })),
        ),
        next,
        results: [],
        delivered: 0,
        failed: 0,
        firstFailure: undefined,
      });
      const pg = await side(
        pgHost,
        (i) => `pg-live-${i}`,
        () => postgresPlugin(`${pgVersion++}.0.0`, sinkUrl, n),
      );
      const mem = await side(
        memHost,
        () => BENCH_CDC,
        () => benchPlugin(`${memVersion++}.0.0`, { cdcTakeover: true }),
      );
      for (let i = 0; i < WARMUP_RELOADS; i++) {
        await liveReload(pg);
        await liveReload(mem);
      }
      const connects: number[] = [];
      for (let round = 0; round < options.rounds; round++) {
        const order = round % 2 === 0 ? [pg, mem] : [mem, pg];
        for (const s of order) s.results.push(await liveReload(s));
        connects.push(await parallelConnects(sinkUrl, n));
      }
      for (const s of [pg, mem]) {
        if (s.failed > 0) throw new Error(`${s.failed} deliveries failed across a reload`, { cause: s.firstFailure });
        await Promise.all(s.streams.map((stream) => stream.close()));
      }
      const pause = (s: Side): number => median(s.results.map((r) => r.timings.pauseMs));
      const [pgPause, memPause] = [pause(pg), pause(mem)];
      rows.push({
        name: `${n} live PostgreSQL CDC stream${n === 1 ? '' : 's'} (postgresCdcOutput)`,
        baton: pgPause,
        baseline: memPause,
        unit: 'ms',
        baselineLabel: `${n} in-memory stream${n === 1 ? '' : 's'}, also taken over in memory`,
        ratio: pgPause / memPause,
      });
      const connectMs = median(connects);
      connectRows.push({
        name: `${n} live PostgreSQL CDC stream${n === 1 ? '' : 's'}, vs opening as many connections`,
        baton: pgPause,
        baseline: connectMs,
        unit: 'ms',
        baselineLabel: `${n} new connection${n === 1 ? '' : 's'} to the sink at once, no Baton`,
        ratio: pgPause / connectMs,
      });
      const handoff = median(pg.results.flatMap((r) => r.handoffs.map((h) => h.ms)));
      const queued = median(pg.results.map((r) => r.queued));
      const maxWait = median(pg.results.map((r) => r.maxQueueWaitMs));
      const drain = median(pg.results.map((r) => r.timings.drainMs));
      const dispatch = median(pg.results.map((r) => r.timings.dispatchMs));
      findings.push(
        `${n} PostgreSQL stream${n === 1 ? '' : 's'}: pause ${pgPause.toFixed(1)} ms (drain ${drain.toFixed(1)} ms, ` +
          `dispatch ${dispatch.toFixed(1)} ms; one stream's handoff ${handoff.toFixed(1)} ms); ${queued} deliveries ` +
          `waited at the gate per reload, the longest ${maxWait.toFixed(1)} ms; ${pg.delivered} deliveries to ` +
          `PostgreSQL and ${mem.delivered} in memory over the case, none failed.`,
      );
    } finally {
      await pgHost.close();
      await memHost.close();
    }
  }
  rows.push(...connectRows);
  const widest = connectRows.at(-1);
  if (widest !== undefined)
    findings.push(
      `Where the time went before the in-memory takeover: ${widest.name.split(',')[0]} paused for ` +
        `${widest.baton.toFixed(1)} ms, while opening as many connections to the same server at once, with no Baton ` +
        `code, took ${widest.baseline.toFixed(0)} ms (${widest.ratio.toFixed(3)}×): a handoff that starts a new ` +
        'writer opens one connection per stream (a new server process and SCRAM authentication each) inside the ' +
        'pause; the takeover opens none.',
    );
  const hand = await handHandoff(sinkUrl, options.rounds);
  findings.push(
    `The older handoff (what a writer whose new version has no \`adopt\` still costs) by hand on one idle ` +
      `\`postgresCdcOutput\` writer (no host; medians of ${options.rounds}): ` +
      `checkpoint ${hand.checkpoint.toFixed(1)} ms, shutdown ${hand.shutdown.toFixed(1)} ms, start of the new writer ` +
      `${hand.start.toFixed(1)} ms — ${(hand.checkpoint + hand.shutdown + hand.start).toFixed(1)} ms in all: what one ` +
      "stream's handoff costs PostgreSQL and the client, whoever runs it; a reload runs the N handoffs in parallel " +
      '(up to 64 at a time) on the one server.',
  );
  findings.unshift(
    'Each pause is `ReloadResult.timings.pauseMs` of a `PluginHost.reload` to a new plugin version (new providers: ' +
      'every stream is handed over in memory: the old writer detaches and the new provider adopts its connected ' +
      'session, writer lock and generation — no connection and no query inside the pause). ' +
      'During each reload every stream is live: a caller per stream keeps delivering 4-row batches (wait for the ' +
      'delivery, yield, next), the reload starts once each stream took 2 deliveries and the callers stop once each ' +
      `took 2 more after it. Medians of ${options.rounds} reloads per side, alternating between the PostgreSQL and ` +
      `the in-memory host, after ${WARMUP_RELOADS} untimed reload of each.`,
  );
  return {
    id: 10,
    title: 'Reload pause with live PostgreSQL CDC streams',
    goal:
      'reload pause with 1, 8 and 32 live PostgreSQL CDC streams (provider `postgresCdcOutput`, receiving deliveries ' +
      'while the reload runs), reported beside the in-memory pause for the same number of streams.',
    ratioOf: 'PostgreSQL / in-memory (pause)',
    appliesTo:
      'no row is judged (the goal asks for the figures); each row is a ratio measured in the same run. The first ' +
      'rows compare with the in-memory streams; the last ones with the time to open as many new connections to the ' +
      "sink at once without Baton (each new writer's start opens one), measured between the reloads.",
    rows,
    findings,
    measuredAt: new Date().toISOString(),
  };
}
