import { expect, it } from 'vitest';
import { runTamperTrial } from './tamperTrial.js';

// `npm run reliability` runs more rounds with more processes; this is the same trial, smaller.
it('a damaged runtime copy never runs: processes loading the signed artifact get the signed code', async () => {
  const result = await runTamperTrial({ rounds: 4, processes: 2 });
  expect(result.failures).toEqual([]);
  expect(result).toMatchObject({ loads: 8, hostileRuns: 0, failedLoads: 0, leftovers: 0 });
  expect(result.repairs).toBeGreaterThanOrEqual(4); // at least one process per round found the damage
}, 120_000);
