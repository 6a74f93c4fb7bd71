import { expect, it } from 'vitest';
import { runLoadTrial } from './loadTrial.js';

// `npm run reliability` runs 10 000 callers through 100 reloads; this is the same trial, smaller.
it('serves concurrent callers through consecutive reloads, some failing by design, without a failed call', async () => {
  const result = await runLoadTrial({ callers: 500, reloads: 20 });
  expect(result.errors).toEqual([]);
  expect(result.failedCalls).toBe(0);
  expect(result.calls).toBeGreaterThan(1000);
  expect(result.reloadsRefused).toBe(4);
  expect(result.reloadsCommitted).toBe(16);
  expect(result.cdcAtSink).toBe(result.cdcDelivered); // exactly once through every handoff
}, 120_000);
