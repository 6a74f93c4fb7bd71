// The kit from node's own test runner: `node --import tsx --conditions=@baton/source --test examples/nodeTest.ts`.
import { test } from 'node:test';
import { gCounter } from '@baton/kinds';
import { assertCrdtCompat, assertCrdtLaws, crdtKindConformance, referenceOps } from '@baton/testing';

void test('g-counter v2 takes over v1 state', async () => {
  await assertCrdtCompat(gCounter(), gCounter({ format: 2 }), { ops: referenceOps.gCounter, numRuns: 30 });
});

void test('g-counter laws', async () => {
  await assertCrdtLaws(gCounter({ format: 2 }), { ops: referenceOps.gCounter, numRuns: 30 });
});

for (const c of crdtKindConformance(gCounter(), { ops: referenceOps.gCounter, numRuns: 20 })) void test(c.name, c.run);
