import { setImmediate as nextTurn } from 'node:timers/promises';
import { Int32, vectorFromArray } from 'apache-arrow';
import type { Vector } from 'apache-arrow';
import { createPluginHost } from '@baton/core';
import type { ReloadResult, ScalarFunctionProvider } from '@baton/core';
import type { GCounterOp } from '@baton/kinds';
import { BENCH_CDC, BENCH_PLUGIN, benchPlugin } from './benchPlugin.js';
import type { BenchPluginOptions } from './benchPlugin.js';
import { CallLog } from './callLog.js';
import type { WindowStats } from './callLog.js';
import { batchAt } from './fakeCdc.js';
import type { BenchRow, GoalSection } from './results.js';
import { collectGarbage, sleep } from './stats.js';
import { queryBatch, VECTOR_COLUMN, vectorTable } from './vectorData.js';

/** Milliseconds a CDC checkpoint takes here: an fdatasync of a real sink, long enough that callers get turns during the pause. */
const CHECKPOINT_MS = 5;

/** Options of {@link benchCallsDuringReload}. */
export interface CallsDuringReloadOptions {
  /** Concurrent callers per case. */
  readonly callers: readonly number[];
  /** Length of the steady-state window and of the window around the reload, in ms. */
  readonly windowMs: number;
}

/** What one case measured. */
export interface CaseResult {
  readonly callers: number;
  readonly steady: { readonly all: WindowStats; readonly gated: WindowStats; readonly ungated: WindowStats };
  readonly reload: { readonly all: WindowStats; readonly gated: WindowStats; readonly ungated: WindowStats };
  readonly failedSteady: number;
  readonly failedReload: number;
  readonly failedTotal: number;
  readonly firstFailure: unknown;
  readonly result: ReloadResult;
  /** Increments applied but missing from the counter, and batches acknowledged but not delivered. */
  readonly lostIncrements: number;
  readonly lostBatches: bigint;
  /** Pause of the first (cold) reload, made while warming up. */
  readonly coldPauseMs: number;
  /** Calls that started while the gate was closed. */
  readonly duringPause: { readonly gated: number; readonly ungated: number };
  /** Pauses of the windowed reload and of the extra reloads after the window. */
  readonly pauses: readonly number[];
}

/** Options of one case beyond its callers and window. */
export interface CaseOptions {
  /** How each version of the bench plugin is built (e.g. CDC takeovers); the checkpoint is fixed here. */
  readonly plugin?: Omit<BenchPluginOptions, 'checkpointMs'>;
  /** Reloads after the measured window, a tenth of a window apart, for more pause samples (default 0). */
  readonly extraReloads?: number;
}

/**
 * One case: `callers` concurrent async callers loop on calls through a PluginHost — `host.call` and
 * `SurfaceRef.call` of a function and `ManagedIndex.probe` (ungated), `ManagedCrdt.apply` and
 * `ManagedCdcStream.deliver` (gated: they wait at the plugin's gate during the pause). Each caller
 * yields to the event loop between calls, as a caller driven by I/O would. A steady window is
 * measured first, then the plugin is reloaded in the middle of a second window.
 */
export async function runCallsCase(callers: number, windowMs: number, options: CaseOptions = {}): Promise<CaseResult> {
  const host = createPluginHost({ drainTimeoutMs: 10_000 });
  const version = (v: string) => benchPlugin(v, { ...options.plugin, checkpointMs: CHECKPOINT_MS });
  await host.load(version('1.0.0'));
  const crdt = await host.openCrdt<GCounterOp, number>({ name: 'hits', key: 'g-counter' });
  const cdc = await host.startCdc({ name: 'audit', key: BENCH_CDC, fromLsn: 0n });
  const index = await host.openIndex({
    name: 'tiny',
    key: 'flat-vector',
    source: vectorTable(256, 8),
    column: VECTOR_COLUMN,
  });
  const ref = host.surface('scalarFunction', 'echo');
  const args: Vector[] = [vectorFromArray([1, 2, 3], new Int32())];
  const invoke = (f: ScalarFunctionProvider): unknown => f.invoke(args);
  const query = queryBatch(1, 8);
  const op: GCounterOp = { replica: 'bench', by: 1 };
  let lsn = 0n;
  let applied = 0;
  const calls: readonly (() => Promise<unknown>)[] = [
    () => host.call('scalarFunction', 'echo', invoke),
    () => ref.call(invoke),
    () => index.probe(query, 3),
    () =>
      crdt.apply(op).then(() => {
        applied++;
      }),
    () => cdc.deliver(batchAt(lsn++)),
  ];
  const gatedFrom = 3;
  const logs = { gated: new CallLog(), ungated: new CallLog() };
  let stopped = false;
  let paused = false;
  const duringPause = { gated: 0, ungated: 0 };
  host.on('quiesced', () => void (paused = true));
  host.on('committed', () => void (paused = false));
  const caller = async (i: number): Promise<void> => {
    const call = calls[i % calls.length]!;
    const gated = i % calls.length >= gatedFrom;
    const log = gated ? logs.gated : logs.ungated;
    while (!stopped) {
      if (paused) duringPause[gated ? 'gated' : 'ungated']++;
      const start = performance.now();
      try {
        await call();
        log.ok(start, performance.now());
      } catch (error) {
        log.fail(performance.now(), error);
      }
      await nextTurn();
    }
  };
  collectGarbage();
  const t0 = performance.now();
  const running = Array.from({ length: callers }, (_, i) => caller(i));
  // A first reload while warming up: the first reload of a process runs cold code (V8 compiles the
  // reload path and the providers' encoders on first use), which is not what a reload costs later.
  await sleep(windowMs * 0.2);
  await nextTurn();
  const cold = await host.reload(version('1.1.0'));
  await cold.retired;
  const steady = [t0 + windowMs * 0.5, t0 + windowMs * 1.5] as const;
  const reloadAt = steady[1] + windowMs / 2;
  await sleep(reloadAt - performance.now());
  // Start the reload from the check phase, as a request arriving by I/O would (inside a timer callback
  // Node may run expired timers, the checkpoint's among them, before it lets any caller run).
  await nextTurn();
  [paused, duringPause.gated, duringPause.ungated] = [false, 0, 0];
  const result = await host.reload(version('2.0.0'));
  await sleep(reloadAt + windowMs / 2 - performance.now());
  const pauses = [result.timings.pauseMs];
  for (let i = 0; i < (options.extraReloads ?? 0); i++) {
    await sleep(windowMs / 10);
    await nextTurn();
    const extra = await host.reload(version(`3.0.${i}`));
    pauses.push(extra.timings.pauseMs);
    await extra.retired;
  }
  stopped = true;
  await Promise.all(running);
  await result.retired;
  const window = [reloadAt - windowMs / 2, reloadAt + windowMs / 2] as const;
  const stats = (from: number, to: number) => ({
    all: CallLog.merged([logs.gated, logs.ungated], from, to),
    gated: logs.gated.window(from, to),
    ungated: logs.ungated.window(from, to),
  });
  const failures = [...logs.gated.failures, ...logs.ungated.failures];
  const count = (from: number, to: number): number => logs.gated.failedIn(from, to) + logs.ungated.failedIn(from, to);
  const value = await crdt.value();
  const lostBatches = lsn - (cdc.deliveredThrough ?? 0n);
  await host.close();
  if (host.plugins().some((p) => p.name === BENCH_PLUGIN)) throw new Error('the host did not unload the plugin');
  return {
    callers,
    steady: stats(...steady),
    reload: stats(...window),
    failedSteady: count(...steady),
    failedReload: count(...window),
    failedTotal: failures.length,
    firstFailure: failures[0]?.error,
    result,
    lostIncrements: applied - value,
    lostBatches,
    duringPause,
    coldPauseMs: cold.timings.pauseMs,
    pauses,
  };
}

/**
 * Goal 4: calls during a reload — throughput and p99 latency in the window around a reload against a
 * steady-state window of the same length, with 1k and 10k concurrent callers; failed calls must be 0.
 */
export async function benchCallsDuringReload(options: CallsDuringReloadOptions): Promise<Omit<GoalSection, 'seconds'>> {
  const rows: BenchRow[] = [];
  const findings: string[] = [];
  for (const callers of options.callers) {
    const c = await runCallsCase(callers, options.windowMs);
    const k = callers >= 1000 ? `${callers / 1000}k` : String(callers);
    const pair = (name: string, reload: number, steady: number, unit: string, label = 'steady state'): BenchRow => ({
      name: `${k} callers: ${name}`,
      baton: reload,
      baseline: steady,
      unit,
      baselineLabel: label,
      ratio: reload / steady,
    });
    rows.push(
      pair('throughput, all calls', c.reload.all.throughput, c.steady.all.throughput, 'calls/s'),
      pair('p99 latency, ungated calls', c.reload.ungated.p99Ms, c.steady.ungated.p99Ms, 'ms'),
      pair('p99 latency, gated calls', c.reload.gated.p99Ms, c.steady.gated.p99Ms, 'ms'),
      pair('max latency, all calls', c.reload.all.maxMs, c.steady.all.maxMs, 'ms'),
      {
        name: `${k} callers: failed calls (whole run: ${c.failedTotal})`,
        baton: c.failedReload,
        baseline: c.failedSteady,
        unit: 'calls',
        baselineLabel: 'steady state',
        ratio: Number.NaN,
        target: { on: 'baton', cmp: '==', value: 0 },
      },
    );
    const t = c.result.timings;
    findings.push(
      `${k} callers: the reload paused gated calls for ${t.pauseMs.toFixed(2)} ms (drain ${t.drainMs.toFixed(2)} ms, ` +
        `dispatch ${t.dispatchMs.toFixed(2)} ms; compat ${t.compatMs.toFixed(1)} ms before the pause, total ` +
        `${t.totalMs.toFixed(1)} ms); ${c.duringPause.gated} gated and ${c.duringPause.ungated} ungated calls started during the pause, ${c.result.queued} calls waited at the gate, the longest ${c.result.maxQueueWaitMs.toFixed(2)} ms. ` +
        `${c.reload.all.calls.toLocaleString('en-US')} calls ended in the reload window. The first, cold reload while ` +
        `warming up paused for ${c.coldPauseMs.toFixed(1)} ms. Lost CRDT increments: ` +
        `${c.lostIncrements}; CDC batches acknowledged but not delivered: ${c.lostBatches}.` +
        (c.firstFailure === undefined
          ? ''
          : ` First failure: ${c.firstFailure instanceof Error ? c.firstFailure.message : JSON.stringify(c.firstFailure)}`),
    );
  }
  findings.unshift(
    `Each caller runs one kind of call in a loop, the kinds spread evenly: host.call and SurfaceRef.call of an async ` +
      '`echo`, ManagedIndex.probe of a 256-row index (ungated), ManagedCrdt.apply on a G-Counter and ' +
      `ManagedCdcStream.deliver to a stream whose checkpoint takes ${CHECKPOINT_MS} ms (an fdatasync; gated). Callers yield to the event loop ` +
      `after every call. Windows of ${options.windowMs} ms: steady state, then one centred on the start of a reload ` +
      'of the plugin to a new version (new provider instances: every resource is handed over).',
  );
  return {
    id: 4,
    title: 'Calls during a reload',
    goal: 'throughput and p99 latency in the second around a reload vs steady state, with 1k and 10k concurrent callers; failed calls 0.',
    ratioOf: 'reload window / steady window',
    appliesTo:
      'the failed-calls rows (no call may fail across a reload). Throughput and latency have no numeric goal: ' +
      'they are reported as measured.',
    rows,
    findings,
    measuredAt: new Date().toISOString(),
  };
}
