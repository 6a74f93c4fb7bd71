import type { CrdtState } from '@baton/core';
import fc from 'fast-check';
import { opsOf } from './crdtOps.js';
import type { OpSource } from './crdtOps.js';

/** One step of a multi-replica history: replica `at` applies `op`, or replica `to` merges replica `from`'s state. */
export type CrdtStep<Op> = { readonly at: number; readonly op: Op } | { readonly from: number; readonly to: number };

/**
 * Histories over `replicas` replicas (`r0`, `r1`, …; ops from `source` for each replica's id): local
 * operations interleaved with state merges between two different replicas, at most `maxSteps` long.
 */
export function crdtSteps<Op>(source: OpSource<Op>, replicas: number, maxSteps: number): fc.Arbitrary<CrdtStep<Op>[]> {
  const n = Math.max(2, replicas);
  const ops = Array.from({ length: n }, (_, at) => opsOf(source, `r${at}`).map((op): CrdtStep<Op> => ({ at, op })));
  const merge = fc
    .record({ to: fc.nat({ max: n - 1 }), offset: fc.integer({ min: 1, max: n - 1 }) })
    .map(({ to, offset }): CrdtStep<Op> => ({ from: (to + offset) % n, to }));
  return fc.array(fc.oneof({ arbitrary: fc.oneof(...ops), weight: 3 }, { arbitrary: merge, weight: 1 }), {
    maxLength: maxSteps,
  });
}

/** Replays `steps` on `states` (index = replica). */
export async function playSteps<Op, V>(
  states: readonly CrdtState<Op, V>[],
  steps: readonly CrdtStep<Op>[],
): Promise<void> {
  for (const step of steps) {
    if ('op' in step) await states[step.at]!.apply(step.op);
    else await states[step.to]!.merge(states[step.from]!);
  }
}

/** A step for a counterexample: `r1 ← op` or `r0 ⊔= r2`. */
export function describeStep<Op>(step: CrdtStep<Op>, show: (value: unknown) => string): string {
  return 'op' in step ? `r${step.at} ← ${show(step.op)}` : `r${step.to} ⊔= r${step.from}`;
}
