import { describe, expect, it } from 'vitest';
import { runPgCrashTrial } from './pgCrashTrial.js';

const log = (line: string): void => {
  console.log(line);
};

// SIGKILL of the engine at 6 seeded points while clients write into PostgreSQL; `npm run reliability`
// runs many more rounds.
describe('PostgreSQL crash trial', () => {
  it('a killed engine loses and duplicates nothing at the PostgreSQL sink, and the slot is never ahead of it', async () => {
    const report = await runPgCrashTrial({ rounds: 6, seed: 20261205, onRound: log });
    log(JSON.stringify({ ...report, audit: { ...report.audit, lost: report.audit.lost.length } }));
    expect(report.failures).toEqual([]);
    expect(report.audit).toMatchObject({ lost: [], duplicated: [], uncommitted: [], splitBatches: 0 });
    expect(report.audit.changes).toBeGreaterThan(100);
    expect(report.slotAhead).toBe(0); // of a check after every kill and at the end
    expect(report.reloads).toBeGreaterThan(0);
    // The seeded plan hangs one engine: the next one found its slot busy (and waited) before it was killed.
    expect(report.hangs).toBe(1);
    expect(report.slotBusy).toBeGreaterThanOrEqual(1);
  }, 120_000);

  it('catches an engine that confirms the slot before the sink has the batch', async () => {
    const report = await runPgCrashTrial({
      rounds: 0,
      plan: [{ point: 'deliver.before', skip: 3 }],
      seed: 7,
      broken: true,
      onRound: log,
    });
    expect(report.slotAhead).toBe(1);
    expect(report.failures.some((f) => f.includes('ahead of the sink checkpoint'))).toBe(true);
    expect(report.audit.lost.length).toBeGreaterThan(0);
    expect(report.failures.some((f) => f.startsWith('lost at the sink'))).toBe(true);
  }, 60_000);
});
