import { prepareDataDirectory } from './dataDirectory.js';
import { isReloadError } from '@baton/core';
import { loadPluginVersion } from '@baton/core/loader';
import type { ReloadError, ReloadResult } from '@baton/core';
import { Engine } from '../engine/engine.js';
import { randomPlaces } from '../engine/places.js';
import { Random } from '../engine/random.js';
import { prepareArtifacts } from './artifacts.js';
import { runClients } from './clients.js';
import type { Expectations } from './clients.js';
import type { DemoOptions } from './options.js';
import { Progress } from './progress.js';
import { Recorder } from './recorder.js';

/** One attempted reload and what came of it. */
export interface Attempt {
  readonly label: string;
  readonly atMs: number;
  readonly result?: ReloadResult;
  readonly error?: ReloadError;
  /** Whether the plugin's gate closed during the attempt (a refused reload must not pause). */
  readonly paused: boolean;
  readonly queueWaitsMs: readonly number[];
  readonly drainMs?: number;
}

/** Everything a run produced, for the reports. */
export interface DemoRun {
  readonly options: DemoOptions;
  readonly recorder: Recorder;
  readonly attempts: readonly Attempt[];
  readonly expected: Expectations;
  readonly crdt: { visits: number; tags: number };
  readonly audit: Awaited<ReturnType<Engine['auditCheck']>>;
  readonly probesIdentical: number;
  readonly probesCompared: number;
  readonly finalVersion: string;
  readonly changeLogFloor: bigint;
}

/**
 * The demo: load v1 and serve concurrent clients; hot-reload to v2 in the middle of the load; try
 * v3 (refused before any pause: schema incompatible); try a tampered v2 (refused at verification);
 * keep serving on v2. Then check what the sink, the index and the CRDTs hold.
 */
export async function runDemo(options: DemoOptions, pluginsDir: string, runtimeDir: string): Promise<DemoRun> {
  await prepareDataDirectory(options.dataDirectory);
  const artifacts = await prepareArtifacts(pluginsDir, options.dataDirectory);
  const load = (dir: string) =>
    loadPluginVersion(dir, { trustedKeys: artifacts.trustedKeys, runtimeDirectory: runtimeDir });

  const random = new Random(options.seed);
  const engine = new Engine({ dataDirectory: options.dataDirectory });
  const places = randomPlaces(random, 0, options.rows, engine.dim);
  await engine.start((await load(artifacts.v1)).definition, places);
  const probeQueries = Array.from({ length: 16 }, () => random.unitVector(engine.dim));
  const before = await Promise.all(probeQueries.map((q) => engine.nearest(q, 10)));

  const recorder = new Recorder();
  const attempt = { paused: false, waits: [] as number[], drainMs: undefined as number | undefined };
  engine.host.on('quiesced', () => {
    attempt.paused = true;
    recorder.mark('pause', 'pause');
  });
  engine.host.on('queueWait', (e) => attempt.waits.push(e.waitedMs));
  engine.host.on('drained', (e) => (attempt.drainMs = e.drainMs));

  const expected: Expectations = { visits: 0, tags: new Set() };
  const stop = new AbortController();
  const durationMs = options.durationSec * 1000;
  const progress = new Progress(options.progress);
  progress.start(
    durationMs,
    performance.now(),
    () =>
      `${recorder.calls.toLocaleString('en-US')} calls, ${recorder.failed} failed, serving ${engine.host.plugins()[0]?.version ?? '?'}`,
  );
  const clients = runClients(engine, recorder, options.clients, options.seed, stop.signal, expected);
  const checkpoints = setInterval(() => void engine.checkpoint().catch(() => undefined), 250);

  const attempts: Attempt[] = [];
  let phaseCalls = 0;
  const at = async (fraction: number): Promise<void> => {
    await new Promise((r) => setTimeout(r, Math.max(0, fraction * durationMs - recorder.now())));
    phaseCalls += options.minCallsPerPhase ?? 0;
    await recorder.whenCalls(phaseCalls);
  };
  const tryReload = async (label: string, artifact: string): Promise<void> => {
    attempt.paused = false;
    attempt.waits = [];
    attempt.drainMs = undefined;
    const atMs = recorder.now();
    try {
      const result = await engine.reload((await load(artifact)).definition);
      attempts.push({
        label,
        atMs,
        result,
        paused: attempt.paused,
        queueWaitsMs: attempt.waits,
        // Set by the 'drained' listener during the reload (the compiler sees only the reset above).
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
        ...(attempt.drainMs === undefined ? {} : { drainMs: attempt.drainMs }),
      });
      recorder.mark(`${label}: committed`, 'ok');
      progress.say(
        `  ${label}: committed in ${result.timings.totalMs.toFixed(1)} ms (pause ${result.timings.pauseMs.toFixed(1)} ms)`,
      );
    } catch (error) {
      if (!isReloadError(error)) throw error;
      attempts.push({ label, atMs, error, paused: attempt.paused, queueWaitsMs: attempt.waits });
      recorder.mark(`${label}: refused (${error.code})`, 'refused');
      progress.say(`  ${label}: refused — ${error.code} at ${error.phase ?? '?'}`);
    }
  };

  await at(0.3);
  await tryReload('reload 1.0.0 → 2.0.0', artifacts.v2);
  await at(0.55);
  await tryReload('reload 2.0.0 → 3.0.0 (incompatible)', artifacts.v3);
  await at(0.75);
  await tryReload('reload to a tampered 2.0.0 artifact', artifacts.tampered);
  await at(1);
  stop.abort();
  await clients;
  clearInterval(checkpoints);
  progress.stop();

  const after = await Promise.all(probeQueries.map((q) => engine.nearest(q, 10)));
  const columns = (batch: (typeof before)[number]): string =>
    JSON.stringify(['row', 'distance'].map((name) => Array.from(batch.getChild(name)!.toArray() as ArrayLike<number>)));
  const same = (a: (typeof before)[number], b: (typeof before)[number]): boolean => columns(a) === columns(b);
  const probesIdentical = before.filter((b, i) => same(b, after[i]!)).length;
  const crdt = await engine.crdtValues();
  const audit = await engine.auditCheck();
  const finalVersion = engine.host.plugins()[0]?.version ?? '?';
  const changeLogFloor = engine.env.changeLog.floorLsn;
  await engine.close();
  return {
    options,
    recorder,
    attempts,
    expected,
    crdt,
    audit,
    probesIdentical,
    probesCompared: before.length,
    finalVersion,
    changeLogFloor,
  };
}
