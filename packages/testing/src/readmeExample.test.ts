// The "Test your provider" example of the README, verbatim but for the import paths: it must keep working.
import { test } from 'vitest';
import { gCounter } from '@baton/kinds';
import { assertCrdtCompat, assertCrdtLaws, referenceOps } from './index.js';

// What the README imports from './myCounterV2.js'.
const myCounterV2 = gCounter({ format: 2 });

test('my counter v2 obeys the CRDT laws and takes over v1 state', async () => {
  await assertCrdtLaws(myCounterV2, { ops: referenceOps.gCounter });
  await assertCrdtCompat(gCounter(), myCounterV2, { ops: referenceOps.gCounter, newOps: referenceOps.gCounter });
});
