import { expect, it } from 'vitest';
import { runSecondProcessTrial } from './secondProcessTrial.js';

// `npm run reliability` runs more rounds; this is the same trial, smaller.
it('rolling restarts over one file CDC sink: a second live process is refused, one racer wins, every LSN once', async () => {
  const result = await runSecondProcessTrial({ rounds: 2, racers: 3, seed: 11 });
  expect(result.failures).toEqual([]);
  expect(result).toMatchObject({
    refusedWhileHeld: 2,
    admittedWhileHeld: 0,
    racesWithOneWinner: 2,
    lsns: 120,
    lost: 0,
    duplicated: 0,
  });
}, 120_000);
