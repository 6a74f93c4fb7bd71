/**
 * `npm run reliability [-- --quick]`: runs the reliability trials — SIGKILL crash trials, the fuzzer
 * over every decoder (and its crafted amplification inputs), the fault matrix, the load trial, the
 * drain-timeout precision, pipelined deliveries with sink failures, runtime tampering, a second
 * process on one sink and SIGKILL crash trials of an engine between PostgreSQL and PostgreSQL — and writes
 * their figures into the README's reliability section. Exits non-zero if any trial found a problem.
 * `--quick` runs each with fewer trials (for trying it out; the README should come from a full run).
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCrashTrials } from '../crash/crashTrials.js';
import { runPgCrashTrial } from '../pgCrash/pgCrashTrial.js';
import type { PgCrashReport } from '../pgCrash/pgCrashTrial.js';
import { updateReadmeBlock } from '../figures/readmeBlocks.js';
import { fuzzRows } from '../fuzz/fuzzRows.js';
import type { FuzzSummary } from '../fuzz/fuzzRows.js';
import { measureDrainPrecision } from './drainPrecision.js';
import { runFaultMatrix } from './faultMatrix.js';
import { runLoadTrial } from './loadTrial.js';
import { runPipelinedTrial } from './pipelinedTrial.js';
import { runSecondProcessTrial } from './secondProcessTrial.js';
import { runTamperTrial } from './tamperTrial.js';

const quick = process.argv.includes('--quick');
const n = (full: number, small: number): number => (quick ? small : full);
const instrumentsDir = fileURLToPath(new URL('../..', import.meta.url));
const scratch = await mkdtemp(join(tmpdir(), 'baton-reliability-'));
const log = (line: string): void => {
  console.log(line);
};
const problems: string[] = [];

log('crash trials …');
const crash = await runCrashTrials({
  trials: n(120, 10),
  dataDir: join(scratch, 'crash'),
  seed: 20261122,
  verifyEvery: 10,
});
const lastCrash = crash.verifications.at(-1);
const crashLost = crash.verifications.reduce((s, v) => s + v.lost, 0);
const crashDup = crash.verifications.reduce((s, v) => s + v.duplicated, 0);
problems.push(...crash.failures);

log('fuzzing every decoder …');
const fuzzSummary = join(scratch, 'fuzz.json');
try {
  execFileSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--conditions=@baton/source',
      'src/fuzz/fuzz.ts',
      String(n(100_000, 2_000)),
      '20261122',
      fuzzSummary,
      String(n(12, 8) * 1024 * 1024),
    ],
    { cwd: instrumentsDir, stdio: ['ignore', 'inherit', 'inherit'] },
  );
} catch {
  problems.push('the fuzzer reported findings');
}
const fuzz = JSON.parse(await readFile(fuzzSummary, 'utf8')) as FuzzSummary;

log('fault matrix …');
const matrix = await runFaultMatrix(n(3, 1));
const rolledBack = matrix.cells.reduce(
  (sum, cell) =>
    sum + Object.entries(cell.codes).reduce((m, [code, count]) => m + (code === 'committed' ? 0 : count), 0),
  0,
);
problems.push(...matrix.failures);

log('load trial …');
const load = await runLoadTrial({ callers: n(10_000, 1_000), reloads: n(100, 20) });
if (load.failedCalls > 0) problems.push(`${load.failedCalls} calls failed under load`);
if (load.cdcAtSink !== load.cdcDelivered) problems.push('CDC batches lost or duplicated under load');

log('drain timeout precision …');
const drain = await measureDrainPrecision(n(50, 10));
if (!drain.recovered || drain.maxOvershootMs > 10)
  problems.push(`drain timeout overshoot ${drain.maxOvershootMs} ms, recovered ${drain.recovered}`);

log('pipelined deliveries with sink failures …');
const pipelined = await runPipelinedTrial({ trials: n(200, 20), batches: 200, seed: 20261204 });
problems.push(...pipelined.failures);

log('runtime tampering …');
const tamper = await runTamperTrial({ rounds: n(12, 4), processes: n(6, 3) });
problems.push(...tamper.failures);

log('second process on one sink …');
const second = await runSecondProcessTrial({ rounds: n(10, 3), racers: n(4, 3), seed: 20261204 });
problems.push(...second.failures);

log('PostgreSQL crash trials …');
let pgCrash: PgCrashReport | undefined;
try {
  pgCrash = await runPgCrashTrial({ rounds: n(60, 8), seed: 20261205, onRound: log });
  const plan = pgCrash.plan;
  problems.push(...pgCrash.failures.map((f) => `PostgreSQL crash trial (plan ${plan}): ${f}`));
} catch (error) {
  problems.push(`PostgreSQL crash trial stopped: ${error instanceof Error ? error.message : String(error)}`);
}
const ms = (value: number): string => value.toFixed(0);

const lines = [
  `| Trial | What ran | Result |`,
  `|---|---|---|`,
  `| Crash (SIGKILL) | ${crash.trials} kills of the example engine at random reload phases and operations (${Object.entries(
    crash.kills,
  )
    .map(([at, count]) => `${at} ${count}`)
    .join(
      ', ',
    )}); ${crash.reloadsCommitted} reloads committed, ${crash.reloadsRefused} refused; ${crash.verifications.length} recoveries verified | ${lastCrash?.writes ?? 0} committed CDC batches: lost ${crashLost}, duplicated ${crashDup}; index answers changed ${crash.verifications.reduce((s, v) => s + v.indexMismatches, 0)} times; CRDT values wrong ${crash.verifications.filter((v) => v.visits !== v.expectedVisits).length} times |`,
  ...fuzzRows(fuzz),
  `| Faults | ${matrix.cases} reloads: every step × kind × way to fail (${matrix.cells.length} cells: throw, reject, hang, abort, garbage), each under generated interleavings of concurrent calls | ${matrix.faultsInjected} faults injected, ${rolledBack} reloads rolled back with a ReloadError naming the step and kind; ${matrix.calls} concurrent calls, 0 failed; problems ${matrix.failures.length} |`,
  `| Load | ${load.callers.toLocaleString('en-US')} concurrent callers through ${load.reloadsCommitted + load.reloadsRefused} consecutive reloads (${load.reloadsRefused} failing by design) | ${load.calls.toLocaleString('en-US')} calls, ${load.failedCalls} failed; CDC ${load.cdcDelivered} delivered, ${load.cdcAtSink} at the sink; heap ${load.heapGrowthKiB} KiB above its baseline after the old versions retired |`,
  `| Pipelined failures | an engine pipelining ${pipelined.batches} deliveries (up to 16 in flight) into a real file sink whose writes fail now and then — before the write, or after it with the acknowledgement lost — with a reload in the middle, ${pipelined.trials} times; after a failure it resends from the first batch that did not land | ${pipelined.calls.toLocaleString('en-US')} delivery calls, ${pipelined.injected} failures injected, ${pipelined.blocked} later deliveries refused with DELIVERY_BLOCKED, ${pipelined.reloads} reloads; batches lost ${pipelined.lost}, duplicated ${pipelined.duplicated} |`,
  `| Runtime tampering | ${tamper.rounds} rounds: the installed copy of a signed plugin damaged (${Object.entries(
    tamper.damage,
  )
    .map(([how, count]) => `${how} ${count}`)
    .join(
      ', ',
    )}: index.js rewritten with hostile code or truncated, the predictable directory pre-created with hostile content or made a symbolic link to one), then ${tamper.processes} processes load the signed artifact at once | ${tamper.loads} loads: hostile code ran ${tamper.hostileRuns} times, ${tamper.failedLoads} loads failed; ${tamper.repairs} found the copy damaged and replaced it from the verified bytes; ${tamper.leftovers} leftovers |`,
  `| Second process | ${second.rounds} rolling restarts of an engine process over one file CDC sink (each writes the log in batches of its own sizes): a second process starts while the holder lives; the holder is SIGKILLed (${second.killed} times) or shut down; then ${second.racers} processes race for the sink | ${second.refusedWhileHeld} of ${second.rounds} second processes refused with LOCKED naming the holder (${second.admittedWhileHeld} admitted); ${second.racesWithOneWinner} of ${second.rounds} races had exactly one winner; ${second.lsns} LSNs at the sink: lost ${second.lost}, duplicated ${second.duplicated} |`,
  ...(pgCrash === undefined
    ? ['| Crash (PostgreSQL) | the trial stopped (see PROBLEM below) | — |']
    : [
        `| Crash (PostgreSQL) | ${Object.values(pgCrash.kills).reduce((a, b) => a + b, 0)} SIGKILLs of an engine pumping a PostgreSQL slot into a PostgreSQL sink through a host that reloads its plugin in a loop, while 3 clients commit multi-statement transactions (some rolled back) into an embedded PostgreSQL 18; kills at seeded reload phases, CDC handoff steps and points of a delivery (${Object.entries(
          pgCrash.kills,
        )
          .map(([at, count]) => `${at} ${count}`)
          .join(
            ', ',
          )}), ${pgCrash.hangs} of them hung first with their connections open; the next engine (a warm standby) takes over at once; ${pgCrash.reloads} reloads | ${pgCrash.transactions} committed transactions, ${pgCrash.audit.changes} changes at the sink: lost ${pgCrash.audit.lost.length}, duplicated ${pgCrash.audit.duplicated.length}, not committed ${pgCrash.audit.uncommitted.length}, batches not one whole transaction ${pgCrash.audit.splitBatches}; slot ahead of the sink checkpoint ${pgCrash.slotAhead} of ${pgCrash.slotChecks} checks; ${pgCrash.skipped} re-deliveries skipped by the sink; the next engine found the slot busy ${pgCrash.slotBusy} times and the sink LOCKED ${pgCrash.sinkLocked} times; PostgreSQL let go of a killed engine's slot within ${ms(pgCrash.maxSlotReleaseMs)} ms and its sink session within ${ms(pgCrash.maxSinkReleaseMs)} ms; the next engine held the slot within ${ms(pgCrash.maxSlotAcquireMs)} ms and the sink within ${ms(pgCrash.maxSinkAcquireMs)} ms of trying, and both within ${ms(pgCrash.maxTakeoverAfterHangMs)} ms of a hung engine's kill |`,
      ]),
  `| Stuck call | a delivery that never completes, ${drain.trials} times, drain timeout ${drain.drainTimeoutMs} ms | the reload gave up ${drain.medianOvershootMs} ms (median) and at most ${drain.maxOvershootMs} ms after the deadline; the next reload succeeded every time: ${drain.recovered} |`,
  ``,
  `Produced by \`npm run reliability\`${quick ? ' --quick' : ''} on Node ${process.version}, ${new Date().toISOString().slice(0, 10)}.`,
];
if (!quick) updateReadmeBlock('reliability', lines.join('\n'));
log(lines.join('\n'));
for (const p of problems) log(`PROBLEM: ${p}`);
process.exitCode = problems.length === 0 ? 0 : 1;
