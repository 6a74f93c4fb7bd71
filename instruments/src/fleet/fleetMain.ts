/**
 * `npm run fleet`: a rollout of the `fleet-trial` plugin across five engine processes under load —
 * one embedded PostgreSQL (started and stopped here, also on failure and Ctrl-C), writers committing
 * transactions that the CDC owner pumps into a fenced sink, clients calling the plugin's function in
 * every member, CRDT states exchanged — with a progress view while it runs and a text report at the
 * end (steps, pauses, gate figures, round trips per step). Exits 0 when every check passed, 1 when
 * one failed, 2 for a usage error.
 *
 * Options: `--trial <name>` runs another of the fleet trials (clean by default: 1.0.0 → 2.0.0, then the
 * format switch; `failing`, `coordinatorKilled`, `memberKilled`, `zombie`); `--gate-wait <ms>`, the
 * health gate's wait after each step (default 1000; the tests use 300); `--seed <n>`.
 */
import { parseArgs } from 'node:util';
import { postgresServer } from '@baton/postgres';
import type { PostgresServer } from '@baton/postgres';
import type { ChildLine } from './childProcess.js';
import { fleetReportText } from './fleetReport.js';
import { runScenario, scenarioNames, TRIAL_POLICY } from './fleetTrials.js';
import type { ScenarioName } from './fleetTrials.js';
import { ProgressView } from './progressView.js';

const usage = `Usage: npm run fleet -- [--trial ${scenarioNames.join('|')}] [--gate-wait <ms>] [--seed <n>] [--postgres-url <url>]

--postgres-url: an existing PostgreSQL server (wal_level=logical, a user that may create databases,
replication slots and end other sessions) instead of an embedded one; it is left running.`;
let values: { trial?: string; seed?: string; 'gate-wait'?: string; 'postgres-url'?: string; help?: boolean };
try {
  values = parseArgs({
    options: {
      trial: { type: 'string' },
      seed: { type: 'string' },
      'gate-wait': { type: 'string' },
      'postgres-url': { type: 'string' },
      help: { type: 'boolean' },
    },
    allowPositionals: false,
  }).values;
} catch (error) {
  console.error(`${error instanceof Error ? error.message : String(error)}\n${usage}`);
  process.exit(2);
}
if (values.help === true) {
  console.log(usage);
  process.exit(0);
}
const trial = (values.trial ?? 'clean') as ScenarioName;
const seed = Number(values.seed ?? 20261205);
const gateWaitMs = Number(values['gate-wait'] ?? 1000);
const postgresUrl = values['postgres-url'];
if (
  (postgresUrl !== undefined && !/^postgres(ql)?:\/\//.test(postgresUrl)) ||
  !scenarioNames.includes(trial) ||
  !Number.isSafeInteger(seed) ||
  !Number.isSafeInteger(gateWaitMs) ||
  gateWaitMs < 0
) {
  console.error(usage);
  process.exit(2);
}

const view = new ProgressView(process.stdout.isTTY);
const began = performance.now();
view.say(
  `Fleet trial '${trial}': five engine processes, ${postgresUrl === undefined ? 'one embedded PostgreSQL' : 'an existing PostgreSQL'}, a rollout under load`,
);
let server: PostgresServer | undefined;
let code = 1;
try {
  server = await postgresServer(
    postgresUrl === undefined
      ? { postgresFlags: ['-c', 'fsync=off', '-c', 'full_page_writes=off'] }
      : { url: postgresUrl },
  );
  view.say(`PostgreSQL on ${new URL(server.url).host} (${Math.round(performance.now() - began)} ms)`);
  const report = await runScenario(server, trial, {
    seed,
    policy: { ...TRIAL_POLICY, gateWaitMs },
    onLine: (who: string, line: ChildLine) => {
      view.hear(who, line);
    },
  });
  view.stop();
  console.log(`\n${fleetReportText(report)}\n\nWall time ${((performance.now() - began) / 1000).toFixed(1)} s.`);
  code = report.failures.length === 0 ? 0 : 1;
} catch (error) {
  view.stop();
  console.error(`The fleet trial failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
} finally {
  await server?.stop();
}
process.exit(code);
