import { isDeepStrictEqual } from 'node:util';
import type { CrdtKindProvider } from '@baton/core';
import fc from 'fast-check';
import { replicaPlans, stateOf, stateOfPlan } from '../arbitraries/crdtOps.js';
import type { OpSource } from '../arbitraries/crdtOps.js';
import { fail, show } from './describe.js';
import { assertParameters } from './runOptions.js';
import type { RunOptions } from './runOptions.js';

/** Options of {@link assertCrdtLaws}. */
export interface CrdtLawOptions<Op> extends RunOptions {
  /** Operations a replica applies locally (see {@link OpSource}). */
  readonly ops: OpSource<Op>;
  /** Replicas per case (default 3, at least 2). */
  readonly replicas?: number;
  /** Operations per replica at most (default 12). */
  readonly maxOps?: number;
}

/**
 * Checks the laws a state-based CRDT must obey, on states reached by generated operations at several
 * replicas: merge is commutative, associative and idempotent (compared by `value()`), and replicas
 * that receive each other's states in any order, with duplicates, converge to the same value.
 * Throws a readable counterexample naming the kind, the operations and the values.
 */
export async function assertCrdtLaws<Op, V>(
  provider: CrdtKindProvider<Op, V>,
  options: CrdtLawOptions<Op>,
): Promise<void> {
  const replicas = Math.max(2, options.replicas ?? 3);
  const kind = provider.kind;
  const plans = replicaPlans(options.ops, { replicas, maxOps: options.maxOps ?? 12 });
  const merged = async (...parts: readonly (readonly Op[])[]): Promise<V> =>
    (await stateOfPlan(provider, parts)).value();
  await fc.assert(
    fc.asyncProperty(plans, fc.array(fc.nat(), { minLength: 1, maxLength: 3 * replicas }), async (ops, schedule) => {
      const [a = [], b = [], c = []] = ops;
      const ab = await merged(a, b);
      const ba = await merged(b, a);
      if (!isDeepStrictEqual(ab, ba))
        fail(
          `${kind}: merge is not commutative`,
          `a = ops ${show(a)}`,
          `b = ops ${show(b)}`,
          `merge(a, b) = ${show(ab)}`,
          `merge(b, a) = ${show(ba)}`,
        );
      const left = await stateOfPlan(provider, [a, b]);
      await left.merge(await stateOf(provider, c));
      const right = await stateOf(provider, a);
      await right.merge(await stateOfPlan(provider, [b, c]));
      if (!isDeepStrictEqual(await left.value(), await right.value())) {
        fail(
          `${kind}: merge is not associative`,
          `a = ops ${show(a)}`,
          `b = ops ${show(b)}`,
          `c = ops ${show(c)}`,
          `merge(merge(a, b), c) = ${show(await left.value())}`,
          `merge(a, merge(b, c)) = ${show(await right.value())}`,
        );
      }
      const self = await stateOf(provider, a);
      const before = await self.value();
      await self.merge(await stateOf(provider, a));
      if (!isDeepStrictEqual(before, await self.value()))
        fail(
          `${kind}: merge is not idempotent`,
          `a = ops ${show(a)}`,
          `a = ${show(before)}`,
          `merge(a, a) = ${show(await self.value())}`,
        );

      // Convergence: every replica receives every other replica's state, in a generated order with duplicates.
      const deliveries = [...schedule.map((n) => n % ops.length), ...ops.keys()];
      const values: V[] = [];
      for (let r = 0; r < ops.length; r++) {
        const replica = await stateOf(provider, ops[r]!);
        for (const from of deliveries) await replica.merge(await stateOf(provider, ops[from]!));
        values.push(await replica.value());
      }
      const diverged = values.findIndex((v) => !isDeepStrictEqual(v, values[0]));
      if (diverged > 0) {
        fail(
          `${kind}: replicas did not converge`,
          `ops per replica ${show(ops)}`,
          `delivery order ${show(deliveries)}`,
          `replica r0 = ${show(values[0])}`,
          `replica r${diverged} = ${show(values[diverged])}`,
        );
      }
    }),
    assertParameters(options),
  );
}
