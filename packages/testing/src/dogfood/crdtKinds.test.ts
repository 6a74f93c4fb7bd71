import { describe, expect, it } from 'vitest';
import { gCounter, lwwRegister, orSet, pnCounter } from '@baton/kinds';
import type { CrdtKindProvider } from '@baton/core';
import { referenceOps } from '../arbitraries/crdtOps.js';
import { assertCrdtCompat } from '../checks/crdtCompat.js';
import { assertCrdtLaws } from '../checks/crdtLaws.js';
import { crdtKindConformance } from '../conformance/crdtKindConformance.js';
import { brokenCrdts } from '../counterexamples/brokenCrdts.js';

// Every reference CRDT kind of @baton/kinds runs the shared conformance suite.
const suites: [CrdtKindProvider<never>, (replica: string) => unknown][] = [
  [gCounter() as never, referenceOps.gCounter],
  [gCounter({ format: 2 }) as never, referenceOps.gCounter],
  [pnCounter() as never, referenceOps.pnCounter],
  [lwwRegister() as never, referenceOps.lwwRegister],
  [orSet() as never, referenceOps.orSet],
];
for (const [provider, ops] of suites) {
  describe(`conformance: ${provider.kind} format ${provider.formatVersion}`, () => {
    for (const c of crdtKindConformance(provider, { ops: ops as never, numRuns: 60 })) it(c.name, c.run, 60_000);
  });
}

describe('assertCrdtCompat', () => {
  it('accepts g-counter v1 → v2 through its declared migration', async () => {
    const verdict = await assertCrdtCompat(gCounter(), gCounter({ format: 2 }), {
      ops: referenceOps.gCounter,
      newOps: referenceOps.gCounter,
      numRuns: 80,
    });
    expect(verdict.type).toBe('compatibleAfterMigration');
  });

  it('catches a v2 that drops data only non-empty states hold, naming the state and values', async () => {
    const failure = await assertCrdtCompat(pnCounter(), brokenCrdts.lossyPnCounter(), {
      ops: referenceOps.pnCounter,
      numRuns: 100,
    }).then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    expect(failure).toBeInstanceOf(Error);
    expect(failure!.message).toMatch(/pn-counter .*: value changed across the handoff/);
    expect(failure!.message).toMatch(/old ops \[/);
    expect(failure!.message).toMatch(/before -?\d+/);
  });

  it('catches a kind whose merge is not commutative', async () => {
    const broken: CrdtKindProvider<{ replica: string; by: number }, number[]> = {
      kind: 'log',
      empty: () => {
        const entries: number[] = [];
        return {
          apply: (op: { by: number }) => void entries.push(op.by),
          merge: (other: unknown) => void entries.push(...(other as { entries: number[] }).entries),
          value: () => [...entries],
          persist: () => new Uint8Array(),
          entries,
        } as never;
      },
      fromPersisted: () => {
        throw new Error('unused');
      },
    };
    await expect(assertCrdtLaws(broken, { ops: referenceOps.gCounter, numRuns: 50 })).rejects.toThrow(
      /log: (merge is not (commutative|associative|idempotent)|replicas did not converge)/,
    );
  });
});
