import type { CrdtKindProvider, CrdtState } from '@baton/core';
import type { CrdtPrimitive, GCounterOp, LwwRegisterOp, OrSetOp, PnCounterOp } from '@baton/kinds';
import fc from 'fast-check';

/**
 * Where a check gets a kind's operations: one arbitrary for every replica, or a function of the
 * replica id (for kinds whose ops name the replica applying them, as every kind of @baton/kinds does).
 */
export type OpSource<Op> = fc.Arbitrary<Op> | ((replica: string) => fc.Arbitrary<Op>);

/** The ops of `replica` from `source`. */
export function opsOf<Op>(source: OpSource<Op>, replica: string): fc.Arbitrary<Op> {
  return typeof source === 'function' ? source(replica) : source;
}

/** Options of {@link replicaPlans}. */
export interface ReplicaPlanOptions {
  /** Replicas (default 3). */
  readonly replicas?: number;
  /** Ops per replica at most (default 12). */
  readonly maxOps?: number;
  /** Ops per replica at least (default 0). */
  readonly minOps?: number;
  /** Prefix of the replica ids (default `r`: `r0`, `r1`, …). */
  readonly idPrefix?: string;
}

/** Plans of local operations, one list per replica (`r0`, `r1`, …). */
export function replicaPlans<Op>(source: OpSource<Op>, options: ReplicaPlanOptions = {}): fc.Arbitrary<Op[][]> {
  const replicas = Math.max(1, options.replicas ?? 3);
  const prefix = options.idPrefix ?? 'r';
  return fc.tuple(
    ...Array.from({ length: replicas }, (_, i) =>
      fc.array(opsOf(source, `${prefix}${i}`), { minLength: options.minOps ?? 0, maxLength: options.maxOps ?? 12 }),
    ),
  );
}

/** A fresh state of `provider` with `ops` applied in order. */
export async function stateOf<Op, V>(provider: CrdtKindProvider<Op, V>, ops: readonly Op[]): Promise<CrdtState<Op, V>> {
  const state = await provider.empty();
  for (const op of ops) await state.apply(op);
  return state;
}

/** The state a plan reaches: each replica applies its own ops, then replica 0 merges every other. */
export async function stateOfPlan<Op, V>(
  provider: CrdtKindProvider<Op, V>,
  plan: readonly (readonly Op[])[],
): Promise<CrdtState<Op, V>> {
  const [first = [], ...rest] = plan;
  const state = await stateOf(provider, first);
  for (const ops of rest) await state.merge(await stateOf(provider, ops));
  return state;
}

/** Values of LWW-Register and OR-Set elements (every `CrdtPrimitive` type, small domains so values collide). */
export function crdtPrimitives(): fc.Arbitrary<CrdtPrimitive> {
  return fc.oneof(
    fc.constantFrom('a', 'b', 'c', '', 'ünï'),
    fc.integer({ min: -3, max: 3 }),
    fc.constantFrom(0.5, -0.0, 1e300),
    fc.bigInt({ min: -3n, max: 3n }),
    fc.boolean(),
    fc.constantFrom(new Uint8Array([]), new Uint8Array([1, 2])),
  );
}

/** Built-in op sources of the reference CRDT kinds of @baton/kinds (ops name their replica). */
export const referenceOps = {
  gCounter: (replica: string): fc.Arbitrary<GCounterOp> =>
    fc.record({ replica: fc.constant(replica), by: fc.integer({ min: 1, max: 1000 }) }),
  pnCounter: (replica: string): fc.Arbitrary<PnCounterOp> =>
    fc.record({ replica: fc.constant(replica), by: fc.integer({ min: -1000, max: 1000 }).filter((n) => n !== 0) }),
  lwwRegister: (replica: string): fc.Arbitrary<LwwRegisterOp> =>
    fc.record({ replica: fc.constant(replica), value: crdtPrimitives(), timestamp: fc.integer({ min: 0, max: 20 }) }),
  orSet: (replica: string): fc.Arbitrary<OrSetOp> =>
    fc.oneof(
      fc.record({ replica: fc.constant(replica), add: crdtPrimitives() }),
      fc.record({ replica: fc.constant(replica), remove: crdtPrimitives() }),
    ),
} as const;
