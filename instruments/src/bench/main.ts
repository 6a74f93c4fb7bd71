/**
 * `npm run bench`: measures Baton against baselines from the same run, prints every row, and writes
 * `bench-results.json` and `BENCHMARKS.md` at the repository root. `npm run bench:check` judges the
 * results against the goals.
 *
 * Options (after `--`): `--only 1,5` runs some goals (the others keep their last results); goal 13
 * (a fleet rollout of five engine processes) runs only when `--only` names it (a full run keeps its
 * last results);
 * `--quick` runs smaller sizes and fewer rounds (a smoke test; its figures are not the goals' figures).
 * Goals 8 and 10 start an embedded PostgreSQL 18 (`postgresServer()` of `@baton/postgres`) on first
 * use and stop it before exiting, also when a row fails; on Ctrl-C its exit hook stops it. Set
 * `BATON_BENCH_PG_URL=postgres://…` to use an existing server (`wal_level=logical`) instead.
 * Run with `node --expose-gc` (the script does) so runs can collect garbage between timed samples.
 * The script builds the packages first and measures them as built (`dist`), as a host runs them.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { benchCallOverhead } from './callOverhead.js';
import { benchCallsDuringReload } from './callsDuringReload.js';
import { benchCdcThroughput } from './cdcThroughput.js';
import { benchCompatCheck } from './compatCheck.js';
import { benchBundleLoading } from './bundleLoading.js';
import { benchConstantPause } from './constantPause.js';
import { readmeFigures } from './readmeFigures.js';
import { updateReadmeBlock } from '../figures/readmeBlocks.js';
import { benchCrdtPersist } from './crdtPersist.js';
import { benchIndexHandoff } from './indexHandoff.js';
import { benchDuckDBQuery } from './duckdbQuery.js';
import { benchFleetRollout } from './fleetRollout.js';
import { benchLivePause } from './livePause.js';
import { machineInfo } from './machine.js';
import { BenchPostgres } from './pgServer.js';
import { benchReloadPause } from './reloadPause.js';
import { markdown, printSection } from './report.js';
import { mergeResults, readResults, REPORT_PATH, RESULTS_PATH, verdicts, writeResults } from './results.js';
import type { GoalSection } from './results.js';
import { benchScaling } from './scaling.js';
import { collectGarbage } from './stats.js';

const { values } = parseArgs({
  options: { only: { type: 'string' }, quick: { type: 'boolean', default: false } },
  allowPositionals: false,
});
const quick = values.quick;
const only = values.only === undefined ? undefined : new Set(values.only.split(',').map((s) => Number(s.trim())));

type Measured = Omit<GoalSection, 'seconds'>;
/** The embedded PostgreSQL of goals 8 and 10, started on first use and stopped below. */
const postgres = new BenchPostgres();
const goals: readonly (readonly [number, () => Promise<Measured>])[] = [
  [
    1,
    () =>
      benchCallOverhead(
        quick ? { rounds: 3, samplesPerRound: 3, warmupMs: 100 } : { rounds: 40, samplesPerRound: 5, warmupMs: 1000 },
      ),
  ],
  [
    2,
    () =>
      benchIndexHandoff(
        quick ? { megabytes: 16, rounds: 2, jsonRows: 1024 } : { megabytes: 256, rounds: 5, jsonRows: 8192 },
      ),
  ],
  [
    3,
    () =>
      benchReloadPause(
        quick
          ? { streams: [1, 10, 100], indexes: [1, 10, 20], rounds: 2 }
          : { streams: [1, 10, 100, 1000, 1000], indexes: [1, 10, 100, 1, 100], rounds: 5 },
      ),
  ],
  [
    4,
    () =>
      benchCallsDuringReload(quick ? { callers: [1000], windowMs: 300 } : { callers: [1000, 10_000], windowMs: 1000 }),
  ],
  [5, () => benchCrdtPersist(quick ? { elements: 2000, rounds: 20 } : { elements: 10_000, rounds: 60 })],
  [6, () => benchCompatCheck(quick ? { sequences: 40, rounds: 3 } : { sequences: 240, rounds: 15 })],
  [
    7,
    () =>
      benchScaling(
        quick
          ? { megabytes: [1, 4, 16], resources: [1, 10, 100], rounds: 2 }
          : { megabytes: [1, 4, 16, 64, 256], resources: [1, 10, 100, 1000], rounds: 3 },
      ),
  ],
  [
    8,
    () =>
      benchCdcThroughput(
        postgres,
        quick
          ? { transactions: 200, rows: 3, rounds: 2, checkpointEvery: 1 }
          : { transactions: 1000, rows: 3, rounds: 15, checkpointEvery: 1 },
      ),
  ],
  [9, () => benchDuckDBQuery(quick ? { rows: 100_000, rounds: 3 } : { rows: 1_000_000, rounds: 15 })],
  [10, () => benchLivePause(postgres, quick ? { streams: [1, 4], rounds: 2 } : { streams: [1, 8, 32], rounds: 5 })],
  [
    11,
    () =>
      benchConstantPause(
        quick
          ? {
              indexMegabytes: [1, 16, 64],
              copyMegabytes: 16,
              orSetElements: 2000,
              orSetRounds: 12,
              streams: 200,
              callers: 1000,
              windowMs: 300,
              rounds: 3,
            }
          : {
              indexMegabytes: [1, 256, 1024],
              copyMegabytes: 256,
              orSetElements: 10_000,
              orSetRounds: 100,
              streams: 1000,
              callers: 10_000,
              windowMs: 1000,
              rounds: 9,
            },
      ),
  ],
  [
    12,
    () =>
      benchBundleLoading(
        quick ? { rounds: 3, callsPerRound: 2000, loads: 3 } : { rounds: 30, callsPerRound: 20_000, loads: 15 },
      ),
  ],
  [13, () => benchFleetRollout(postgres, quick ? { rounds: 1, gateWaitMs: 500 } : { rounds: 3, gateWaitMs: 1000 })],
];
/** Goals that run only when `--only` names them (goal 13 runs five engine processes per round). */
const onDemand = new Set([13]);

const started = performance.now();
const date = new Date().toISOString();
const machine = machineInfo();
console.log(
  `Baton benchmarks${quick ? ' (--quick: smoke test)' : ''} — ${machine.cpuModel} × ${machine.cpus}, ` +
    `${machine.totalMemoryGiB} GiB, Node ${machine.node}; ${machine.code}; load ${machine.loadAverage?.join(', ')}`,
);
const fresh: GoalSection[] = [];
try {
  for (const [id, run] of goals) {
    if (only ? !only.has(id) : onDemand.has(id)) continue;
    collectGarbage();
    const t = performance.now();
    const measured = await run();
    const section: GoalSection = { ...measured, measuredAt: date, seconds: (performance.now() - t) / 1000 };
    printSection(section);
    fresh.push(section);
  }
} finally {
  // Also when a row fails: the embedded server is stopped (and its directory removed) before exiting.
  await postgres.stop();
}
// A full run replaces every goal it ran; the on-demand goals (not run) keep their last results, and
// results of goals no longer in the list are dropped. `--only` keeps every other goal's results.
const previous = readResults();
const kept =
  only || previous === undefined ? previous : { ...previous, goals: previous.goals.filter((g) => onDemand.has(g.id)) };
const results = mergeResults(kept, fresh, date, machine);
if (!quick) {
  writeResults(results);
  writeFileSync(REPORT_PATH, markdown(results));
  // The README blocks written from a goal's rows, when that goal ran.
  for (const [id, block] of [
    [11, 'pause'],
    [12, 'bundle'],
  ] as const) {
    const section = fresh.find((s) => s.id === id);
    if (section) updateReadmeBlock(block, readmeFigures(section));
  }
}
const missed = verdicts(results).filter((v) => !v.pass);
console.log(
  `\n${quick ? 'Quick run: nothing written' : `Wrote ${RESULTS_PATH} and ${REPORT_PATH}`} ` +
    `(${((performance.now() - started) / 1000).toFixed(0)} s). ` +
    (missed.length === 0 ? 'Every goal row passes.' : `${missed.length} goal row(s) missed; see npm run bench:check.`),
);
