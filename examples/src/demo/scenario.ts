import { setTimeout as delay } from 'node:timers/promises';
import { loadPluginVersion } from '@baton/core/loader';
import { readPostgresSink } from '@baton/postgres';
import { Engine } from '../engine/engine.js';
import { queryBatch, randomPlaces } from '../engine/places.js';
import { Random } from '../engine/random.js';
import { CdcPipeline } from '../pipeline/cdcPipeline.js';
import { ChangeLedger, checkSink } from '../pipeline/changeLedger.js';
import type { SinkCheck } from '../pipeline/changeLedger.js';
import { markEnd } from '../pipeline/endMarker.js';
import { LsnMonitor } from '../pipeline/lsnMonitor.js';
import { dropSlot, openPostgres } from '../pipeline/postgresStack.js';
import { runWriters } from '../pipeline/writers.js';
import { pluginModules } from '../engine/pluginModules.js';
import { prepareArtifacts } from './artifacts.js';
import { Cleanup } from './cleanup.js';
import { runClients } from './clients.js';
import type { Expectations } from './clients.js';
import { prepareDataDirectory } from './dataDirectory.js';
import type { DemoOptions } from './options.js';
import { LoopMonitor } from './loopMonitor.js';
import type { LoopSummary } from './loopMonitor.js';
import { Progress } from './progress.js';
import { QueryLog } from './queryLog.js';
import { Recorder } from './recorder.js';
import { ReloadSchedule } from './reloadSchedule.js';
import type { Attempt } from './reloadSchedule.js';

export type { Attempt } from './reloadSchedule.js';

/** The CDC side of a run: what the writers committed, what the sink holds, where the slot was. */
export interface CdcOutcome {
  readonly ledger: ChangeLedger;
  readonly sink: SinkCheck;
  /** Batches that went through the pump, and its failure if it failed. */
  readonly batches: number;
  /** The most the stream trailed PostgreSQL's WAL head (its source-lag readings at each batch). */
  readonly maxSourceLag: { readonly lsn: bigint };
  readonly pumpError: unknown;
  /** Whether the pump delivered the end-of-run change (so everything committed before it). */
  readonly drained: boolean;
  readonly monitor: LsnMonitor;
  readonly slotDropped: boolean;
}

/** Everything a run produced, for the reports. */
export interface DemoRun {
  readonly options: DemoOptions;
  readonly postgres: string;
  readonly recorder: Recorder;
  readonly queries: QueryLog;
  readonly attempts: readonly Attempt[];
  readonly expected: Expectations;
  readonly crdt: Awaited<ReturnType<Engine['crdtValues']>>;
  readonly cdc: CdcOutcome;
  readonly probesIdentical: number;
  readonly probesCompared: number;
  readonly finalVersion: string;
  /** When each CDC batch was delivered to the sink (ms since the load's clock started). */
  readonly cdcTimesMs: readonly number[];
  /** When the load ended (ms on the same clock): the clients were told to stop. */
  readonly loadEndMs: number;
  /** How busy the event loop was during the load. */
  readonly loop: LoopSummary;
  /** Wall time of each phase of the run, in order: [name, milliseconds]. */
  readonly phases: readonly (readonly [string, number])[];
}

/**
 * The demo: start PostgreSQL (or use the server at `--postgres-url`), DuckDB and the plugin host;
 * load v1; writers commit transactions into PostgreSQL while the slot is pumped into the plugin's CDC
 * output and query clients run SQL on DuckDB; hot-reload to v2 in the middle of the load; try v3
 * (refused before any pause: schema incompatible) and a tampered v2 (refused at verification); keep
 * serving on v2. Then check what the sink, the slot, the queries, the index and the CRDTs hold.
 * `signal` (Ctrl-C) stops the run: everything it started is stopped, and it rejects.
 */
export async function runDemo(
  options: DemoOptions,
  pluginsDir: string,
  runtimeDir: string,
  signal?: AbortSignal,
): Promise<DemoRun> {
  const phases: [string, number][] = [];
  let since = performance.now();
  const phase = (name: string): void => {
    const now = performance.now();
    phases.push([name, now - since]);
    since = now;
  };
  await prepareDataDirectory(options.dataDirectory);
  const artifacts = await prepareArtifacts(pluginsDir, options.dataDirectory);
  phase('sign artifacts');
  const load = async (dir: string) =>
    (
      await loadPluginVersion(dir, {
        trustedKeys: artifacts.trustedKeys,
        runtimeDirectory: runtimeDir,
        shared: pluginModules,
      })
    ).definition;
  const progress = new Progress(options.progress);
  const cleanup = new Cleanup();
  try {
    const postgres = await openPostgres({
      ...(options.postgresUrl ? { url: options.postgresUrl } : {}),
      ...(signal ? { signal } : {}),
    });
    const stopServer = cleanup.defer('stop PostgreSQL', () => postgres.server.stop());
    phase('start PostgreSQL');
    progress.say(`PostgreSQL: ${postgres.description}`);

    const random = new Random(options.seed);
    const engine = await Engine.open({
      dataDirectory: options.dataDirectory,
      sinkUrl: postgres.sinkUrl,
      sinkSchema: postgres.sinkSchema,
    });
    const closeEngine = cleanup.defer('close DuckDB and the plugin host', () => engine.close());
    await engine.start(await load(artifacts.v1), randomPlaces(random, 0, options.rows, engine.dim));
    const monitor = await LsnMonitor.open(postgres.url, postgres.slot, postgres.sinkSchema, 'audit');
    const closeMonitor = cleanup.defer('close the LSN monitor', () => monitor.close());
    const pipeline = await CdcPipeline.open(postgres);
    let slotDropped = false;
    const stopPipeline = cleanup.defer('stop the CDC pump and drop the slot', async () => {
      try {
        await pipeline.stop();
        await monitor.sample(); // the slot where the source left it, against the sink's checkpoint
      } finally {
        slotDropped = await dropSlot(postgres.url, postgres.slot);
      }
    });
    // The sink starts where the slot does; from then on the slot may be confirmed only to its checkpoint.
    const feed = await engine.startAudit(pipeline.startLsn);
    const recorder = new Recorder(() => engine.host.plugins()[0]?.version);
    const cdcTimesMs: number[] = [];
    pipeline.pump(feed, monitor, () => cdcTimesMs.push(recorder.now()));
    monitor.start(100);

    const probeQueries = Array.from({ length: 16 }, () => random.unitVector(engine.dim));
    const probe = async (): Promise<string[]> =>
      Promise.all(
        probeQueries.map(async (q) => {
          const batch = await engine.index.probe(queryBatch([q], engine.dim), 10);
          return JSON.stringify(
            ['row', 'distance'].map((c) => Array.from(batch.getChild(c)!.toArray() as ArrayLike<number>)),
          );
        }),
      );
    const before = await probe();
    phase('start the engine');
    const expected: Expectations = { visits: 0, tags: new Set() };
    const queries = new QueryLog();
    const clientLoad = { count: options.clients, ratePerSec: options.rate, seed: options.seed };
    const warmupSec = options.warmupSec ?? 0;
    if (warmupSec > 0) {
      // The clients at their rate for a while, before the load's clock starts: the first calls of a
      // process are slow (code not yet compiled, DuckDB's caches cold), and not what a reload does.
      // Their calls count (a failure is reported) but are not drawn on the timeline.
      const warm = new AbortController();
      const warming = runClients(
        engine,
        recorder,
        queries,
        { ...clientLoad, seed: clientLoad.seed + 1 },
        warm.signal,
        expected,
      );
      await delay(warmupSec * 1000, undefined, signal ? { signal } : {}).finally(() => {
        warm.abort();
      });
      await warming;
      const shift = recorder.startClock();
      cdcTimesMs.forEach((t, i) => (cdcTimesMs[i] = t - shift));
      phase('warm up');
    }

    const ledger = new ChangeLedger();
    const schedule = new ReloadSchedule(engine.host, recorder, progress);
    const stop = new AbortController();
    const durationMs = options.durationSec * 1000;
    progress.start(
      durationMs,
      performance.now(),
      () =>
        `${recorder.calls.toLocaleString('en-US')} calls, ${recorder.failed} failed, ${pipeline.batches.toLocaleString('en-US')} CDC batches, serving ${engine.host.plugins()[0]?.version ?? '?'}`,
    );
    const loop = new LoopMonitor(recorder, 100);
    const load$ = Promise.all([
      runClients(engine, recorder, queries, clientLoad, stop.signal, expected),
      runWriters(
        postgres.url,
        postgres.schema,
        { count: options.writers, ratePerSec: options.writeRate, seed: options.seed },
        stop.signal,
        ledger,
        recorder,
      ),
    ]);
    let loadEndMs = 0;
    const stopLoad = cleanup.defer('stop the clients', async () => {
      loadEndMs = recorder.now();
      loop.stop();
      stop.abort();
      await load$;
      progress.stop();
    });
    progress.say(`load: ${options.clients} query clients on DuckDB, ${options.writers} writers on PostgreSQL`);

    let phaseCalls = 0;
    /** Waits until `fraction` of the duration has passed (and the phase's calls were made); returns that time. */
    const at = async (fraction: number): Promise<number> => {
      signal?.throwIfAborted();
      const due = fraction * durationMs;
      // A timer may fire up to a millisecond before the clock says it is due: wait out the rest.
      for (let rest = due - recorder.now(); rest > 0; rest = due - recorder.now())
        await delay(rest, undefined, signal ? { signal } : {}).catch(() => signal?.throwIfAborted());
      phaseCalls += options.minCallsPerPhase ?? 0;
      await recorder.whenCalls(phaseCalls);
      return due;
    };
    await schedule.attempt('reload 1.0.0 → 2.0.0', await at(0.3), () => load(artifacts.v2));
    await schedule.attempt('reload 2.0.0 → 3.0.0 (incompatible)', await at(0.55), () => load(artifacts.v3));
    await schedule.attempt('reload to a tampered 2.0.0 artifact', await at(0.75), () => load(artifacts.tampered));
    await at(1);
    phase('load');
    await stopLoad();
    phase('stop the clients');

    // The end of the load: one more committed change, and the pump has delivered everything before it.
    const drained = await markEnd(postgres.url, postgres.schema, ledger, pipeline, { timeoutMs: 20_000, signal });
    phase('drain the CDC');
    await stopPipeline();
    await closeMonitor();
    phase('stop the pump, drop the slot');

    const after = await probe();
    const crdt = await engine.crdtValues();
    const finalVersion = engine.host.plugins()[0]?.version ?? '?';
    await closeEngine();
    phase('check, close DuckDB and the host');
    const sink = checkSink(
      ledger,
      await readPostgresSink({ name: 'check', url: postgres.sinkUrl, output: 'audit', schema: postgres.sinkSchema }),
    );
    const cdc: CdcOutcome = {
      ledger,
      sink,
      batches: pipeline.batches,
      maxSourceLag: pipeline.maxSourceLag,
      pumpError: pipeline.error,
      drained,
      monitor,
      slotDropped,
    };
    phase('read the sink');
    await stopServer();
    phase('stop PostgreSQL');
    return {
      options,
      postgres: postgres.description,
      recorder,
      queries,
      attempts: schedule.attempts,
      expected,
      crdt,
      cdc,
      probesIdentical: before.filter((b, i) => b === after[i]).length,
      probesCompared: before.length,
      finalVersion,
      phases,
      cdcTimesMs,
      loadEndMs,
      loop: loop.stop(),
    };
  } finally {
    await cleanup.runAll();
    for (const error of cleanup.errors) console.error(`cleanup: ${error}`);
  }
}
