import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { runCrashTrials } from './crashTrials.js';

// SIGKILL at random points of random reloads, 25 times; `npm run soak` runs more.
it('survives being killed at any point of a reload: nothing lost, nothing twice, state intact', async () => {
  const report = await runCrashTrials({
    trials: 25,
    dataDir: await mkdtemp(join(tmpdir(), 'baton-crash-')),
    seed: 20261122,
  });
  expect(report.failures).toEqual([]);
  expect(report.verifications.length).toBeGreaterThanOrEqual(5);
  for (const v of report.verifications)
    expect(v).toMatchObject({ lost: 0, duplicated: 0, extra: 0, ordered: true, indexMismatches: 0 });
  for (const v of report.verifications) expect(v.visits).toBe(v.expectedVisits);
  expect(report.verifications.at(-1)!.writes).toBeGreaterThan(0);
  const phaseKills = Object.entries(report.kills).filter(([at]) => at !== 'operation' && at !== 'timeout');
  expect(phaseKills.length).toBeGreaterThanOrEqual(3); // killed inside reloads, at several different phases
  expect(report.reloadsCommitted).toBeGreaterThan(0);
}, 180_000);
