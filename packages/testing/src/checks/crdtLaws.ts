import { isDeepStrictEqual } from 'node:util';
import type { CrdtKindProvider, CrdtState } from '@baton/core';
import fc from 'fast-check';
import { fail, show } from './describe.js';
import { assertParameters } from './runOptions.js';
import type { RunOptions } from './runOptions.js';

/** Options of {@link assertCrdtLaws}. */
export interface CrdtLawOptions<Op> extends RunOptions {
  /** Operations a replica applies locally. Give each op its replica if the kind needs one. */
  readonly ops: fc.Arbitrary<Op>;
  /** Replicas per case (default 3). */
  readonly replicas?: number;
  /** Operations per replica at most (default 12). */
  readonly maxOps?: number;
}

/** Builds a fresh state of `provider` by applying `ops` to `empty()`. */
export async function stateOf<Op, V>(provider: CrdtKindProvider<Op, V>, ops: readonly Op[]): Promise<CrdtState<Op, V>> {
  const state = await provider.empty();
  for (const op of ops) await state.apply(op);
  return state;
}

async function merged<Op, V>(provider: CrdtKindProvider<Op, V>, ...parts: readonly (readonly Op[])[]): Promise<V> {
  const [first = [], ...rest] = parts;
  const state = await stateOf(provider, first);
  for (const ops of rest) await state.merge(await stateOf(provider, ops));
  return state.value();
}

/**
 * Checks the laws a state-based CRDT must obey, on states reached by generated operations at several
 * replicas: merge is commutative, associative and idempotent (compared by `value()`), and replicas
 * that receive each other's states in any order, with duplicates, converge to the same value.
 * Throws a readable counterexample naming the kind, the operations and the values.
 */
export async function assertCrdtLaws<Op, V>(provider: CrdtKindProvider<Op, V>, options: CrdtLawOptions<Op>): Promise<void> {
  const replicas = options.replicas ?? 3;
  const perReplica = fc.array(fc.array(options.ops, { maxLength: options.maxOps ?? 12 }), { minLength: Math.max(2, replicas), maxLength: Math.max(2, replicas) });
  const kind = provider.kind;
  await fc.assert(
    fc.asyncProperty(perReplica, fc.array(fc.nat(), { minLength: 1, maxLength: 3 * replicas }), async (ops, schedule) => {
      const [a = [], b = [], c = []] = ops;
      const ab = await merged(provider, a, b);
      const ba = await merged(provider, b, a);
      if (!isDeepStrictEqual(ab, ba)) fail(`${kind}: merge is not commutative`, `a = ops ${show(a)}`, `b = ops ${show(b)}`, `merge(a, b) = ${show(ab)}`, `merge(b, a) = ${show(ba)}`);
      const left = await stateOf(provider, a);
      const abState = await stateOf(provider, a);
      await abState.merge(await stateOf(provider, b));
      await left.merge(abState);
      await left.merge(await stateOf(provider, c));
      const right = await stateOf(provider, b);
      await right.merge(await stateOf(provider, c));
      const aThenBc = await stateOf(provider, a);
      await aThenBc.merge(right);
      if (!isDeepStrictEqual(await left.value(), await aThenBc.value())) {
        fail(`${kind}: merge is not associative`, `a = ops ${show(a)}`, `b = ops ${show(b)}`, `c = ops ${show(c)}`, `merge(merge(a, b), c) = ${show(await left.value())}`, `merge(a, merge(b, c)) = ${show(await aThenBc.value())}`);
      }
      const self = await stateOf(provider, a);
      const before = await self.value();
      await self.merge(await stateOf(provider, a));
      if (!isDeepStrictEqual(before, await self.value())) fail(`${kind}: merge is not idempotent`, `a = ops ${show(a)}`, `a = ${show(before)}`, `merge(a, a) = ${show(await self.value())}`);

      // Convergence: every replica receives every other replica's state, in a generated order with duplicates.
      const values: V[] = [];
      for (let r = 0; r < ops.length; r++) {
        const replica = await stateOf(provider, ops[r]!);
        const deliveries = [...schedule.map((n) => n % ops.length), ...ops.keys()];
        for (const from of deliveries) await replica.merge(await stateOf(provider, ops[from]!));
        values.push(await replica.value());
      }
      const diverged = values.findIndex((v) => !isDeepStrictEqual(v, values[0]));
      if (diverged > 0) {
        fail(`${kind}: replicas did not converge`, `ops per replica ${show(ops)}`, `delivery order ${show(schedule.map((n) => n % ops.length))}`, `replica 0 = ${show(values[0])}`, `replica ${diverged} = ${show(values[diverged])}`);
      }
    }),
    assertParameters(options),
  );
}
