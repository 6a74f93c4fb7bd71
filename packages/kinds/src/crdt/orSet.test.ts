import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { decodeEnvelope, encodeEnvelope } from '../codec/envelope.js';
import { crdtLawSuite, expectReloadError, expectSameState, joined } from './__tests__/crdtHarness.js';
import { elementArb } from './__tests__/elements.js';
import { orSet } from './orSet.js';
import type { OrSetOp } from './orSetState.js';
import { comparePrimitives } from './primitive.js';
import type { CrdtPrimitive } from './primitive.js';

const opOf = (replica: string): fc.Arbitrary<OrSetOp> =>
  fc.oneof(
    { arbitrary: elementArb.map((add) => ({ replica, add })), weight: 2 },
    { arbitrary: elementArb.map((remove) => ({ replica, remove })), weight: 1 },
  );

crdtLawSuite(orSet(), opOf, [
  { replica: 'a' },
  { replica: 'a', add: 1, remove: 1 },
  { add: 1 },
  { replica: '', add: 1 },
  { replica: 'a', add: null },
  { replica: 'a', add: Number.NaN },
  { replica: 'a', add: { x: 1 } },
  { replica: 'a', remove: [] },
  { replica: 3, remove: 1 },
]);

/** A sequential model: a set of primitives with bytes compared by content. */
function modelKey(e: CrdtPrimitive): unknown {
  return e instanceof Uint8Array ? `bytes:${Buffer.from(e).toString('hex')}` : e;
}

const aAdds = (...elements: CrdtPrimitive[]) => elements.map((add) => ({ replica: 'a', add }));

describe('or-set semantics', () => {
  test.prop([fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), opOf('a')), { maxLength: 60 })])(
    'a state applying ops one after the other behaves as a set',
    (ops) => {
      const state = orSet().empty();
      const model = new Map<unknown, CrdtPrimitive>();
      for (const [replica, op] of ops) {
        state.apply({ ...op, replica });
        if ('add' in op) model.set(modelKey(op.add), op.add === 0 ? 0 : op.add);
        else model.delete(modelKey(op.remove));
      }
      expect(state.value()).toStrictEqual([...model.values()].sort(comparePrimitives));
      expect(state.size).toBe(model.size);
      for (const e of model.values()) expect(state.has(e)).toBe(true);
    },
  );

  it('lets a concurrent add win over a remove, and a remove win over the adds it saw', () => {
    const a = orSet().empty();
    a.apply({ replica: 'a', add: 'x' });
    const b = orSet().fromPersisted(a.persist());
    b.apply({ replica: 'b', remove: 'x' });
    a.apply({ replica: 'a', add: 'x' }); // concurrent with b's remove
    expect(joined(a, b).value()).toEqual(['x']);
    expect(joined(b, a).value()).toEqual(['x']);
    const c = joined(a, b);
    c.apply({ replica: 'c', remove: 'x' }); // saw every add
    expect(joined(a, b, c).value()).toEqual([]);
  });

  it('keeps an element added by two replicas until a remove has seen both adds', () => {
    const a = orSet().empty();
    const b = orSet().empty();
    a.apply({ replica: 'a', add: 'x' });
    b.apply({ replica: 'b', add: 'x' });
    const sawA = joined(orSet().empty(), a);
    sawA.apply({ remove: 'x' });
    expect(joined(a, b, sawA).value()).toEqual(['x']);
    const sawBoth = joined(a, b);
    sawBoth.apply({ remove: 'x' });
    expect(joined(a, b, sawA, sawBoth).value()).toEqual([]);
  });

  it('leaves no tombstones: removed elements cost nothing in the persisted state', () => {
    const state = orSet().empty();
    for (let i = 0; i < 2_000; i++) state.apply({ replica: 'a', add: `element-${i}` });
    for (let i = 0; i < 2_000; i++) state.apply({ replica: 'a', remove: `element-${i}` });
    expect(state.value()).toEqual([]);
    const { body } = decodeEnvelope(state.persist(), { kind: 'or-set', versions: [2] });
    expect(body).toEqual([['a'], [2_000], [], new Uint8Array(), new Uint8Array(), [], new Uint8Array()]);
  });

  it('persists equal states to equal bytes, whatever their history', () => {
    const a = orSet().empty();
    const b = orSet().empty();
    for (const op of aAdds('z', 3, true, new Uint8Array([7]))) a.apply(op);
    for (const e of ['m', 'a', 2n]) b.apply({ replica: 'b', add: e });
    b.apply({ replica: 'b', remove: 'a' });
    const ab = joined(a, b);
    const ba = joined(b, a);
    expect(ab.persist()).toStrictEqual(ba.persist());
    expect(decodeEnvelope(ab.persist(), { kind: 'or-set', versions: [2] }).body).toEqual([
      ['a', 'b'],
      [4, 3],
      [true, 3, 2n],
      new TextEncoder().encode('mz'),
      new Uint8Array([1, 1]),
      [new Uint8Array([7])],
      // per element (scalars, strings, bytes): dot count, replica index, counter
      new Uint8Array([1, 0, 3, 1, 0, 2, 1, 1, 3, 1, 1, 1, 1, 0, 1, 1, 0, 4]),
    ]);
  });

  it('round-trips 10k elements; a read state answers has() and takes ops and merges', () => {
    const state = orSet().empty();
    for (let i = 0; i < 10_000; i++) state.apply({ replica: ['a', 'b', 'c'][i % 3]!, add: i % 2 ? `e${i}` : i });
    const restored = orSet().fromPersisted(state.persist());
    expect(restored.size).toBe(10_000);
    expect(restored.has('e9999')).toBe(true);
    expect(restored.has(9998)).toBe(true);
    expect(restored.has('e9998')).toBe(false);
    expectSameState(restored, state);
    const copy = restored.clone();
    restored.apply({ replica: 'd', remove: 0 });
    restored.apply({ replica: 'd', add: 'new' });
    expect(restored.size).toBe(10_000);
    expect(copy.size).toBe(10_000);
    copy.merge(restored);
    expect(copy.has(0)).toBe(false);
    expect(copy.has('new')).toBe(true);
  });

  it('keeps 1, 1n, "1" and byte strings apart, and compares bytes by content', () => {
    const state = orSet().empty();
    for (const op of aAdds(1, 1n, '1', new Uint8Array([1]), new Uint8Array([1]), -0)) state.apply(op);
    expect(state.value()).toStrictEqual([0, 1, 1n, '1', new Uint8Array([1])]);
    state.apply({ remove: Buffer.from([1]) });
    expect(state.value()).toStrictEqual([0, 1, 1n, '1']);
    expect(state.has(new Uint8Array([1]))).toBe(false);
  });

  it('checks format-1 bodies strictly', () => {
    const read = (body: unknown) => () => orSet().fromPersisted(encodeEnvelope('or-set', 1, body));
    const dots = (...n: number[]) => new Uint8Array(n);
    expect(
      orSet()
        .fromPersisted(encodeEnvelope('or-set', 1, [['a'], [2], ['x', 'y'], dots(1, 0, 1, 1, 0, 2)]))
        .value(),
    ).toEqual(['x', 'y']);
    expectReloadError(read([['a'], [2], ['y', 'x'], dots(1, 0, 1, 1, 0, 2)]), 'CORRUPT_INPUT'); // unsorted elements
    expectReloadError(read([['a'], [2], ['x', 'x'], dots(1, 0, 1, 1, 0, 2)]), 'CORRUPT_INPUT'); // duplicate element
    expectReloadError(read([['b', 'a'], [1, 1], ['x'], dots(1, 0, 1)]), 'CORRUPT_INPUT'); // unsorted replicas
    expectReloadError(read([['a'], [1], ['x'], dots(1, 0, 2)]), 'CORRUPT_INPUT'); // dot beyond the context
    expectReloadError(read([['a'], [1], ['x'], dots(1, 1, 1)]), 'CORRUPT_INPUT'); // unknown replica index
    expectReloadError(read([['a', 'b'], [1, 1], ['x'], dots(2, 0, 1, 0, 1)]), 'CORRUPT_INPUT'); // two dots of one replica
    expectReloadError(read([['a'], [1], ['x'], dots(0)]), 'CORRUPT_INPUT'); // no dots
    expectReloadError(read([['a'], [0], [], dots()]), 'CORRUPT_INPUT'); // empty context entry
    expectReloadError(read([['a'], [1], ['x'], dots(1, 0, 1, 7)]), 'CORRUPT_INPUT'); // trailing byte
    expectReloadError(read([['a'], [1], [null], dots(1, 0, 1)]), 'CORRUPT_INPUT'); // not a primitive
    expectReloadError(read([['a'], [1], [0, -0], dots(1, 0, 1, 1, 0, 1)]), 'CORRUPT_INPUT'); // -0 is 0
    expectReloadError(read([[], [], Array.from({ length: 100 }, (_, i) => i), dots(1)]), 'CORRUPT_INPUT'); // sizes disagree
  });
});
