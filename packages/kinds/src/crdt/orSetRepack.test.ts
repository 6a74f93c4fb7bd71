import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { expectSameState } from './__tests__/crdtHarness.js';
import { elementArb } from './__tests__/elements.js';
import { orSet } from './orSet.js';
import type { OrSetOp, OrSetState } from './orSetState.js';
import type { CrdtPrimitive } from './primitive.js';

/** Replicas, some of which sort before the others: joining later, they change the persisted replica order. */
const replicaArb = fc.constantFrom('m', 'n', 'b', 'z', 'a');
const elementsArb = fc.oneof(
  elementArb,
  fc.constantFrom('\ufffd', '😀', 'é', 'base-3', 'base-40'),
  fc.integer({ min: 0, max: 60 }).map((i) => `base-${i}`),
);

/** A step: an op, a persist (the pack the next ones start from), or a merge of another state. */
type Step = { readonly op: OrSetOp } | { readonly persist: true } | { readonly merge: number };
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    arbitrary: fc.record({ replica: replicaArb, add: elementsArb }).map((op): Step => ({ op })),
    weight: 4,
  },
  { arbitrary: elementsArb.map((remove): Step => ({ op: { remove } })), weight: 3 },
  { arbitrary: fc.constant<Step>({ persist: true }), weight: 2 },
  { arbitrary: fc.nat(1).map((merge): Step => ({ merge })), weight: 1 },
);

/** A state holding `base-0` … `base-{n-1}` over replicas m and n, persisted (so later packs start from it). */
function baseState(n: number, persist: boolean): OrSetState {
  const state = orSet().empty();
  for (let i = 0; i < n; i++) state.apply({ replica: i % 3 ? 'm' : 'n', add: `base-${i}` });
  for (const add of [true, 7, 3n, new Uint8Array([9])] as CrdtPrimitive[]) state.apply({ replica: 'n', add });
  if (persist) state.persist();
  return state;
}

function others(): OrSetState[] {
  const a = orSet().empty();
  for (const add of ['base-1', 'base-50', 'other', 12, new Uint8Array([1])] as CrdtPrimitive[])
    a.apply({ replica: 'b', add });
  const b = baseState(30, false);
  b.apply({ remove: 'base-2' });
  b.apply({ replica: 'a', add: 'base-2' });
  return [a, b];
}

/** Runs `steps` on a packed base state; persisting at `persist` steps when `packing`. */
function run(steps: readonly Step[], packing: boolean): OrSetState {
  const state = baseState(60, packing);
  const merged = others();
  for (const step of steps) {
    if ('op' in step) state.apply(step.op);
    else if ('merge' in step) state.merge(merged[step.merge]!);
    else if (packing) state.persist();
  }
  return state;
}

describe('or-set re-pack', () => {
  test.prop([fc.array(stepArb, { maxLength: 40 })])(
    're-packing from the last pack gives exactly the bytes of packing from scratch',
    (steps) => {
      const repacked = run(steps, true);
      const fresh = run(steps, false);
      expect(repacked.persist()).toStrictEqual(fresh.persist());
      expectSameState(repacked, fresh);
      expectSameState(orSet().fromPersisted(repacked.persist()), fresh);
    },
  );

  test.prop([fc.array(stepArb, { maxLength: 40 })])(
    'a state read from bytes re-packs its changes exactly too',
    (steps) => {
      const read = orSet().fromPersisted(baseState(60, true).persist());
      const fresh = baseState(60, false);
      for (const step of steps) {
        if (!('op' in step)) continue;
        read.apply(step.op);
        fresh.apply(step.op);
        expect(read.persist()).toStrictEqual(fresh.clone().persist());
      }
    },
  );

  test.prop([fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 299 })), { minLength: 17, maxLength: 60 })])(
    'many elements coming and going at once re-pack exactly too',
    (moves) => {
      const [repacked, fresh] = [baseState(240, true), baseState(240, false)];
      for (const [add, i] of moves) {
        const op: OrSetOp = add ? { replica: 'n', add: `base-${i}` } : { remove: `base-${i}` };
        repacked.apply(op);
        fresh.apply(op);
      }
      expect(repacked.persist()).toStrictEqual(fresh.persist());
    },
  );

  it('keeps an element removed and added again, and drops one added and removed again', () => {
    const state = baseState(20, true);
    state.apply({ remove: 'base-4' });
    state.apply({ replica: 'z', add: 'base-4' });
    state.apply({ replica: 'z', add: 'brand-new' });
    state.apply({ remove: 'brand-new' });
    state.apply({ remove: 7 });
    expect(state.has('base-4')).toBe(true);
    expect(state.has('brand-new')).toBe(false);
    expect(state.has(7)).toBe(false);
    expect(orSet().fromPersisted(state.persist()).value()).toStrictEqual(state.value());
  });
});
