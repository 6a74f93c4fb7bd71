import type { CrdtKindProvider, CrdtState } from '@baton/core';
import fc from 'fast-check';
import { replicaPlans, stateOfPlan } from '../arbitraries/crdtOps.js';
import type { OpSource } from '../arbitraries/crdtOps.js';
import { assertCrdtCompat } from '../checks/crdtCompat.js';
import { assertCrdtDelta } from '../checks/crdtDelta.js';
import { assertCrdtLaws } from '../checks/crdtLaws.js';
import { assertRejectsGarbage } from '../checks/garbageBytes.js';
import type { RunOptions } from '../checks/runOptions.js';
import type { ConformanceCase } from './conformanceCase.js';

/** Options of {@link crdtKindConformance}. */
export interface CrdtConformanceOptions<Op> extends RunOptions {
  /** The kind's operations (see `referenceOps` for the kinds of @baton/kinds). */
  readonly ops: OpSource<Op>;
  /**
   * Whether the suite checks the delta law of `mark`/`mergeDelta`: `true` demands the hooks,
   * `false` leaves the case out; absent, the case is there when `empty()` answers synchronously with
   * a state that has `mark` (say `true` for a kind whose `empty()` is asynchronous).
   */
  readonly deltas?: boolean;
}

/** Whether a state of `provider` has `mark`, when that can be seen without waiting. */
function hasMark<Op, V>(provider: CrdtKindProvider<Op, V>): boolean {
  const state = provider.empty();
  if ('then' in state && typeof state.then === 'function') return false;
  return typeof (state as CrdtState).mark === 'function';
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
 * random and corrupted bytes with a typed error; for a kind with `mark`/`mergeDelta` (see
 * `deltas`), the delta since a mark carries every change (`assertCrdtDelta`).
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
    ...((options.deltas ?? hasMark(provider))
      ? [
          {
            name: `${kind}: the delta since a mark carries every change (delta law, idempotent, pre-copy or not)`,
            run: async () => {
              await assertCrdtDelta(provider, { ...options, requireHooks: true });
            },
          },
        ]
      : []),
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
