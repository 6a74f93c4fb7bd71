import type { CrdtKindProvider } from '@baton/core';
import fc from 'fast-check';
import { replicaPlans, stateOfPlan } from '../arbitraries/crdtOps.js';
import type { OpSource } from '../arbitraries/crdtOps.js';
import { assertCrdtCompat } from '../checks/crdtCompat.js';
import { assertCrdtLaws } from '../checks/crdtLaws.js';
import { assertRejectsGarbage } from '../checks/garbageBytes.js';
import type { RunOptions } from '../checks/runOptions.js';
import type { ConformanceCase } from './conformanceCase.js';

/** Options of {@link crdtKindConformance}. */
export interface CrdtConformanceOptions<Op> extends RunOptions {
  /** The kind's operations (see `referenceOps` for the kinds of @baton/kinds). */
  readonly ops: OpSource<Op>;
}

/** Valid persisted states of `provider`, reached by generated plans (for corrupting). */
export async function persistedSamples<Op, V>(
  provider: CrdtKindProvider<Op, V>,
  ops: OpSource<Op>,
  count = 24,
): Promise<Uint8Array[]> {
  const plans = fc.sample(replicaPlans(ops, { replicas: 2, maxOps: 8 }), { numRuns: count, seed: 42 });
  return Promise.all(plans.map(async (plan) => (await stateOfPlan(provider, plan)).persist()));
}

/**
 * The conformance suite every CRDT kind runs: merge laws and convergence on reachable states; its
 * own persisted states round-trip (what a reload to the same version does); `fromPersisted` answers
 * random and corrupted bytes with a typed error.
 */
export function crdtKindConformance<Op, V>(
  provider: CrdtKindProvider<Op, V>,
  options: CrdtConformanceOptions<Op>,
): ConformanceCase[] {
  const kind = provider.kind;
  return [
    {
      name: `${kind}: merge is commutative, associative, idempotent; replicas converge`,
      run: () => assertCrdtLaws(provider, options),
    },
    {
      name: `${kind}: reachable states round-trip through persist / fromPersisted`,
      run: async () => {
        await assertCrdtCompat(provider, provider, { ...options, newOps: options.ops });
      },
    },
    {
      name: `${kind}: fromPersisted rejects random and corrupted bytes with a typed error`,
      run: async () => {
        const valid = await persistedSamples(provider, options.ops);
        await assertRejectsGarbage((bytes) => provider.fromPersisted(bytes), {
          ...options,
          valid: fc.constantFrom(...valid),
          numRuns: options.numRuns ?? 300,
        });
      },
    },
  ];
}
