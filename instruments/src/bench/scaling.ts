import { createPluginHost } from '@baton/core';
import type { ManagedCdcStream, ManagedIndex, PluginHost } from '@baton/core';
import { BENCH_CDC, benchPlugin } from './benchPlugin.js';
import type { BenchRow, GoalSection } from './results.js';
import { interleaved, leastSquares, median, sleep } from './stats.js';
import type { Line } from './stats.js';
import { randomFloats, releaseFloats, rowsFor, VECTOR_COLUMN, vectorTable } from './vectorData.js';

/** Options of {@link benchScaling}. */
export interface ScalingOptions {
  /** Index sizes in MiB. */
  readonly megabytes: readonly number[];
  /** Numbers of CDC streams. */
  readonly resources: readonly number[];
  readonly rounds: number;
}

const DIM = 128;
const CONCURRENCY = 64;
/** Untimed reloads of each CDC-stream host before the timed ones. */
const WARMUP_RELOADS = 2;

/** Reloads the bench plugin to a new version (new providers) and returns the pause in ms. */
async function reloadPause(host: PluginHost, version: number): Promise<number> {
  const result = await host.reload(benchPlugin(`${version}.0.0`));
  await result.retired;
  return result.timings.pauseMs;
}

/** Slope as text, e.g. `0.93 ms per MiB (r² 1.00)`. */
function slope(line: Line, per: string): string {
  return `${line.slope.toFixed(3)} ms per ${per} (intercept ${line.intercept.toFixed(2)} ms, r² ${line.r2.toFixed(3)})`;
}

/**
 * Goal 7: how a reload's pause grows with the size of an index (one flat-vector index, 1 MiB to 256
 * MiB) and with the number of resources (CDC streams whose checkpoint takes 1 ms), through
 * `PluginHost.reload` (the pause is what `ReloadResult.timings.pauseMs` reports: gate closed to gate
 * opened). Baselines from the same run: one copy of the index's bytes, and the least time the
 * checkpoints need at the host's concurrency (⌈N / 64⌉ rounds of 64 parallel 1 ms timers).
 */
export async function benchScaling(options: ScalingOptions): Promise<Omit<GoalSection, 'seconds'>> {
  const rows: BenchRow[] = [];
  let version = 2;
  const sizes: { mb: number; pause: number; copy: number }[] = [];
  randomFloats(rowsFor(Math.max(...options.megabytes), DIM) * DIM); // generate the vectors once, at the largest size
  for (const mb of options.megabytes) {
    const host = createPluginHost();
    await host.load(benchPlugin('1.0.0'));
    const index: ManagedIndex = await host.openIndex({
      name: `index-${mb}`,
      key: 'flat-vector',
      source: vectorTable(rowsFor(mb, DIM), DIM),
      column: VECTOR_COLUMN,
    });
    const source = new Uint8Array(rowsFor(mb, DIM) * DIM * 4).fill(1);
    const pauses: number[] = [];
    let copied = 0;
    const times = await interleaved(
      {
        // The figure of a reload is its own pauseMs (gate closed → opened), not the wall time around it.
        pause: { run: async () => void pauses.push(await reloadPause(host, version++)) },
        copy: { run: () => void (copied += new Uint8Array(source).byteLength) },
      },
      mb >= 64 ? options.rounds : options.rounds + 2,
      { gcBetween: true },
    );
    if (copied === 0) throw new Error('nothing was copied');
    await index.close();
    await host.close();
    const [pause, copyMs] = [median(pauses), median(times.copy)];
    sizes.push({ mb, pause, copy: copyMs });
    rows.push({
      name: `1 index of ${mb} MiB`,
      baton: pause,
      baseline: copyMs,
      unit: 'ms',
      baselineLabel: 'one copy of its bytes',
      ratio: pause / copyMs,
    });
  }
  releaseFloats();

  const counts: { n: number; pause: number; floor: number }[] = [];
  let coldPause: { n: number; ms: number } | undefined;
  for (const n of options.resources) {
    const host = createPluginHost();
    await host.load(benchPlugin('1.0.0'));
    const streams: ManagedCdcStream[] = await Promise.all(
      Array.from({ length: n }, (_, i) => host.startCdc({ name: `stream-${i}`, key: BENCH_CDC, fromLsn: 0n })),
    );
    // Untimed reloads first: the first reloads of a host run colder code (reported apart below).
    const cold: number[] = [];
    for (let i = 0; i < WARMUP_RELOADS; i++) cold.push(await reloadPause(host, version++));
    if (n === Math.max(...options.resources)) coldPause = { n, ms: cold[0]! };
    const pauses: number[] = [];
    const times = await interleaved(
      {
        pause: { run: async () => void pauses.push(await reloadPause(host, version++)) },
        floor: {
          run: async () => {
            for (let left = n; left > 0; left -= CONCURRENCY)
              await Promise.all(Array.from({ length: Math.min(left, CONCURRENCY) }, () => sleep(1)));
          },
        },
      },
      n >= 1000 ? options.rounds : options.rounds + 2,
    );
    await Promise.all(streams.map((s) => s.close()));
    await host.close();
    const [pause, floor] = [median(pauses), median(times.floor)];
    counts.push({ n, pause, floor });
    rows.push({
      name: `${n} CDC streams (checkpoint 1 ms)`,
      baton: pause,
      baseline: floor,
      unit: 'ms',
      baselineLabel: `⌈N/${CONCURRENCY}⌉ rounds of 1 ms timers`,
      ratio: pause / floor,
    });
  }

  const bySize = leastSquares(
    sizes.map((s) => s.mb),
    sizes.map((s) => s.pause),
  );
  const copyBySize = leastSquares(
    sizes.map((s) => s.mb),
    sizes.map((s) => s.copy),
  );
  const byCount = leastSquares(
    counts.map((c) => c.n),
    counts.map((c) => c.pause),
  );
  const floorByCount = leastSquares(
    counts.map((c) => c.n),
    counts.map((c) => c.floor),
  );
  return {
    id: 7,
    title: 'Scaling of the pause',
    goal: 'how pause time grows with index size (1 MB → 256 MB) and with number of resources — print the slope.',
    ratioOf: 'Baton / baseline (time)',
    appliesTo:
      'no row is judged (the goal asks for the slopes); each row compares the pause with the least the same work ' +
      'needs, measured in the same run.',
    rows,
    findings: [
      `Pause vs index size: ${slope(bySize, 'MiB')}; one plain copy: ${slope(copyBySize, 'MiB')} — the pause grows ` +
        `${(bySize.slope / copyBySize.slope).toFixed(2)}× as fast as a copy.`,
      `Pause vs number of CDC streams: ${slope(byCount, 'stream')}; the checkpoint floor at concurrency ` +
        `${CONCURRENCY}: ${slope(floorByCount, 'stream')}.`,
      `Each pause is \`ReloadResult.timings.pauseMs\` of a \`PluginHost.reload\` to a new plugin version (fresh ` +
        `providers, so every resource is handed over), after its old version retired; medians of ${options.rounds}–` +
        `${options.rounds + 2} reloads per point, interleaved with the baseline, after ${WARMUP_RELOADS} untimed reloads ` +
        'for the stream counts.' +
        (coldPause === undefined
          ? ''
          : ` The first reload of the host with ${coldPause.n} streams (cold code) paused for ${coldPause.ms.toFixed(1)} ms.`),
    ],
    measuredAt: new Date().toISOString(),
  };
}
