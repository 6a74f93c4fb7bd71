import { expect, it } from 'vitest';
import { runPipelinedTrial } from './pipelinedTrial.js';

it('pipelined deliveries into a file sink with transient failures and a reload: nothing lost or duplicated', async () => {
  const result = await runPipelinedTrial({ trials: 6, batches: 60, seed: 7 });
  expect(result.failures).toEqual([]);
  expect(result.injected).toBeGreaterThan(0);
  expect(result.blocked).toBeGreaterThan(0);
  expect(result).toMatchObject({ lost: 0, duplicated: 0, reloads: 6 });
}, 60_000);
