import { flatVectorIndex } from '@baton/kinds';
import { runCallsCase } from './callsDuringReload.js';
import { crdtPauseRows } from './crdtPause.js';
import { indexPauseRows } from './indexPause.js';
import { dispatchOnce, handoffs } from './reloadPause.js';
import type { BenchRow, GoalSection } from './results.js';
import { interleaved, median } from './stats.js';
import { VECTOR_COLUMN, vectorTable } from './vectorData.js';

/** Options of {@link benchConstantPause}. */
export interface ConstantPauseOptions {
  /** Index sizes in MiB; the first is the baseline of the others. */
  readonly indexMegabytes: readonly number[];
  /** Size of the by-copy case (and of the memory comparison). */
  readonly copyMegabytes: number;
  readonly orSetElements: number;
  /**
   * Reloads per OR-Set case: a pause there is a fraction of a millisecond, and its median needs many
   * samples to settle (with 36, the ratio moved by about ±0.1× between runs of the same code).
   */
  readonly orSetRounds: number;
  readonly streams: number;
  readonly callers: number;
  readonly windowMs: number;
  readonly rounds: number;
}

/** 1000 CDC streams taken over in memory against today's checkpoint → shutdown → start one by one. */
async function streamRows(streams: number, rounds: number): Promise<{ rows: BenchRow[]; findings: string[] }> {
  const persisted = flatVectorIndex().build(vectorTable(256, 32), { column: VECTOR_COLUMN }).persist();
  let resources: Awaited<ReturnType<typeof handoffs>> | undefined;
  const variants = {
    takeover: {
      prepare: async () => void (resources = await handoffs(streams, 0, persisted, true)),
      run: () => dispatchOnce(resources!, 64),
    },
    oneByOne: {
      prepare: async () => void (resources = await handoffs(streams, 0, persisted, false)),
      run: () => dispatchOnce(resources!, 1),
    },
  };
  await interleaved(variants, 2); // warm-up
  const times = await interleaved(variants, rounds);
  const [fast, serial] = [median(times.takeover), median(times.oneByOne)];
  return {
    rows: [
      {
        name: `${streams} CDC streams (checkpoint 1 ms), taken over in memory`,
        baton: fast,
        baseline: serial,
        unit: 'ms',
        baselineLabel: 'checkpoint → shutdown → start, one by one',
        ratio: fast / serial,
        target: { on: 'ratio', cmp: '<=', value: 0.02 },
      },
    ],
    findings: [
      `${streams} CDC streams: \`dispatch()\` with each stream detached and adopted by the new provider (no checkpoint ` +
        `inside the pause; what was delivered becomes durable at the next checkpoint) took ${fast.toFixed(2)} ms, against ` +
        `${serial.toFixed(0)} ms for checkpoint (a 1 ms timer) → shutdown → start one stream after another (medians of ${rounds}).`,
    ],
  };
}

/** 10k callers against none: the pause, and gated-call p99 in the reload window against steady state. */
async function callerRows(callers: number, windowMs: number): Promise<{ rows: BenchRow[]; findings: string[] }> {
  const options = { plugin: { cdcTakeover: true }, extraReloads: 4 };
  const idle = await runCallsCase(0, windowMs, options);
  const busy = await runCallsCase(callers, windowMs, options);
  const [busyPause, idlePause] = [median(busy.pauses), median(idle.pauses)];
  const k = `${callers / 1000}k`;
  return {
    rows: [
      {
        name: `pause, ${k} concurrent callers`,
        baton: busyPause,
        baseline: idlePause,
        unit: 'ms',
        baselineLabel: 'pause, no callers',
        ratio: busyPause / idlePause,
        target: { on: 'ratio', cmp: '<=', value: 2 },
      },
      {
        name: `${k} callers: p99 latency of gated calls in the reload window`,
        baton: busy.reload.gated.p99Ms,
        baseline: busy.steady.gated.p99Ms,
        unit: 'ms',
        baselineLabel: 'steady state',
        ratio: busy.reload.gated.p99Ms / busy.steady.gated.p99Ms,
        target: { on: 'ratio', cmp: '<=', value: 2 },
      },
      {
        name: `${k} callers: failed calls (whole run)`,
        baton: busy.failedTotal + idle.failedTotal,
        baseline: 0,
        unit: 'calls',
        baselineLabel: 'none',
        ratio: Number.NaN,
        target: { on: 'baton', cmp: '==', value: 0 },
      },
    ],
    findings: [
      `${k} callers (the goal-4 workload; its CDC output hands streams over in memory and its G-Counter moves by ` +
        `delta): pauses ${busy.pauses.map((p) => p.toFixed(2)).join(', ')} ms against ` +
        `${idle.pauses.map((p) => p.toFixed(2)).join(', ')} ms with no callers; ${busy.result.queued} calls waited at ` +
        `the gate of the windowed reload, ${busy.duringPause.gated} gated calls started while it was closed. Lost CRDT ` +
        `increments ${busy.lostIncrements}, CDC batches acknowledged but not delivered ${busy.lostBatches}.`,
    ],
  };
}

/**
 * Goal 11: a pause that does not grow with state. Every O(state) step runs before the gate closes
 * (index snapshots adopted by reference, CRDT states persisted and read while writers write); the
 * pause holds only the catch-up (CRDT deltas, CDC takeovers) and never waits for I/O or a timer.
 */
export async function benchConstantPause(options: ConstantPauseOptions): Promise<Omit<GoalSection, 'seconds'>> {
  const parts = [
    await indexPauseRows(options.indexMegabytes, options.copyMegabytes, options.rounds * 3),
    await crdtPauseRows(options.orSetElements, options.orSetRounds),
    await streamRows(options.streams, options.rounds),
    await callerRows(options.callers, options.windowMs),
  ];
  return {
    id: 11,
    title: 'A pause that does not grow with state',
    goal:
      'pause with a 256 MiB and a 1 GiB flat-vector index ≤ 1.5× the pause with 1 MiB; a 10k-element OR-Set under ' +
      'constant writes ≤ 1.2× an empty one; 10k concurrent callers ≤ 2× no callers and gated-call p99 in the reload ' +
      'window ≤ 2× steady state; 1000 CDC streams (checkpoint 1 ms) ≤ 0.02× one by one; report the peak extra memory ' +
      'of a handoff by reference vs by copy.',
    ratioOf: 'Baton / baseline',
    appliesTo:
      'the rows with a target. Pauses are `ReloadResult.timings.pauseMs` (gate closed → opened) of a `PluginHost` ' +
      'reload; the CDC row times `ReloadDispatcher.dispatch()` as goal 3 does.',
    rows: parts.flatMap((p) => p.rows),
    findings: parts.flatMap((p) => p.findings),
    measuredAt: new Date().toISOString(),
  };
}
