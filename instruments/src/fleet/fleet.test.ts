import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresServer } from '@baton/postgres';
import type { PostgresServer } from '@baton/postgres';
import { runScenario } from './fleetTrials.js';
import type { ScenarioName, ScenarioReport } from './fleetTrials.js';

// Five engine processes, one embedded PostgreSQL (shared by the trials; each has databases and a slot
// of its own), writers committing into it, and a rollout coordinated through it. `npm run fleet`
// shows one with its report.
let server: PostgresServer | undefined;
beforeAll(async () => {
  server = await postgresServer({ postgresFlags: ['-c', 'fsync=off', '-c', 'full_page_writes=off'] });
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

const summary = (report: ScenarioReport): string =>
  JSON.stringify({
    name: report.name,
    wallMs: Math.round(report.wallMs),
    phases: report.phases,
    calls: report.end.calls,
    failedCalls: report.end.failedCalls,
    changes: report.end.audit.changes,
    crdt: report.end.mergedValue,
    fenced: report.end.fencedWrites,
    outcomes: report.outcomes.map((o) => [o['action'], o['status'], Math.round(Number(o['ms'])), o['roundTrips']]),
    versions: report.versions,
    failures: report.failures,
  });

/** Runs a trial and checks what every trial must show: no failed call, exactly once at the sink, CRDT values converged. */
async function trial(name: ScenarioName): Promise<ScenarioReport> {
  const report = await runScenario(server!, name);
  console.log(summary(report));
  expect(report.failures).toEqual([]);
  expect(report.end.failedCalls).toBe(0);
  expect(report.end.calls).toBeGreaterThan(1000);
  expect(report.end.audit).toMatchObject({ lost: [], duplicated: [], uncommitted: [], splitBatches: 0 });
  expect(report.end.audit.changes).toBeGreaterThan(100);
  for (const value of Object.values(report.end.values)) expect(value).toBe(report.end.mergedValue);
  return report;
}

describe('fleet trials (five members, one PostgreSQL)', () => {
  it('a clean rollout: every member on 2.0.0, then the format switch; nothing failed, lost or doubled', async () => {
    const report = await trial('clean');
    expect(report.outcomes.map((o) => o['status'])).toEqual(['done', 'done']);
    expect(Object.values(report.versions)).toEqual(['2.0.0', '2.0.0', '2.0.0', '2.0.0', '2.0.0']);
  }, 90_000);

  it('a version failing on member 3: the rollout halts and every member that moved is rolled back', async () => {
    const report = await trial('failing');
    expect(report.outcomes.map((o) => o['status'])).toEqual(['halted']);
    expect(Object.values(report.versions)).toEqual(['1.0.0', '1.0.0', '1.0.0', '1.0.0', '1.0.0']);
  }, 90_000);

  it('the coordinator SIGKILLed mid-rollout: another resumes it, no command issued or run twice', async () => {
    const report = await trial('coordinatorKilled');
    expect(report.rolloutLines.some((l) => l.event === 'rollout.started' && l['resumed'] === true)).toBe(true);
    expect(Object.values(report.versions)).toEqual(['2.0.0', '2.0.0', '2.0.0', '2.0.0', '2.0.0']);
  }, 90_000);

  it('a member SIGKILLed mid-reload: the rollout halts, the others are rolled back, the member comes back on 1.0.0', async () => {
    const report = await trial('memberKilled');
    expect(report.outcomes.map((o) => o['status'])).toEqual(['halted']);
    expect(report.outcomes[0]?.['reason']).toMatchObject({ type: 'memberLost', member: 'm4' });
    expect(Object.values(report.versions)).toEqual(['1.0.0', '1.0.0', '1.0.0', '1.0.0', '1.0.0']);
  }, 90_000);

  it('catches members whose plugin ignores the format phases: the old version cannot read what the new one writes', async () => {
    // A broken fleet: 2.0.0 writes g-counter format 2 while 1.0.0 members still run. The trials'
    // convergence check must see the states that fail to merge (and the values that differ).
    const report = await runScenario(server!, 'clean', { brokenFormats: true });
    console.log(summary(report));
    expect(report.failures.some((f) => /CRDT states failed to merge .*unknown format version 2/.test(f))).toBe(true);
  }, 90_000);

  it('a zombie CDC owner woken after its lease was taken: its write is fenced', async () => {
    const report = await trial('zombie');
    expect(report.end.fencedWrites).toBe(1);
    expect(report.zombie?.fencedMessage).toMatch(/fenced off/);
    expect(BigInt(report.zombie!.successorToken)).toBeGreaterThan(BigInt(report.zombie!.zombieToken));
  }, 90_000);

  it('npm run fleet on an existing server (--postgres-url): every check passes, and the server is left running', async () => {
    const { stdout } = await fleetMain(['--postgres-url', server!.url, '--gate-wait', '200']);
    expect(stdout).toContain('Every check passed.');
    expect(stdout).toMatch(/Rollout 1 \(reload\) 1\.0\.0 → 2\.0\.0: done/);
    // The report's promises: per step its members, time, round trips and gate, each member's load +
    // reload and pause with its gate reading; per rollout the wall time against Σ reloads + gate waits.
    expect(stdout).toMatch(/^ {2}1 +(m\d) +\d+ ms +\d+ +passed +\1 \d+ ms \/ \d+ ms; 0 failed, lag \d+ ms$/m);
    expect(stdout).toMatch(
      /wall time \d+ ms against Σ single-process reloads \d+ ms \+ gate waits \d+ ms: [\d.]+×; \d+ PostgreSQL round trips by the coordinator \([\d.]+ per step\)/,
    );
    const client = new pg.Client({ connectionString: server!.url });
    await client.connect();
    try {
      expect((await client.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await client.end();
    }
  }, 200_000);

  it('npm run fleet: a usage error (an unknown trial, an unknown option) exits 2 with the usage', async () => {
    for (const args of [['--trial', 'nope'], ['--frobnicate']]) {
      const failed = (await fleetMain(args).then(
        () => undefined,
        (error: unknown) => error,
      )) as { code?: unknown; stderr?: string } | undefined;
      expect(failed?.code, args.join(' ')).toBe(2);
      expect(failed?.stderr).toContain('Usage: npm run fleet');
    }
  }, 60_000);
});

/** Runs `npm run fleet -- <args>` (its script, through tsx); rejects on a non-zero exit. */
function fleetMain(args: readonly string[]): Promise<{ stdout: string; stderr: string }> {
  const instruments = fileURLToPath(new URL('../..', import.meta.url));
  return promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', '--conditions=@baton/source', 'src/fleet/fleetMain.ts', ...args],
    { cwd: instruments, timeout: 180_000, maxBuffer: 16 << 20 },
  );
}
