import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { unpack, pack } from '../codec/packr.js';
import { elementArb } from './__tests__/elements.js';
import { ElementMap } from './elementMap.js';
import { comparePrimitives, crdtLimits, ownPrimitive, primitiveProblem, replicaIdProblem } from './primitive.js';
import type { CrdtPrimitive } from './primitive.js';

describe('CRDT primitives', () => {
  test.prop([elementArb, elementArb, elementArb])('comparePrimitives is a total order', (a, b, c) => {
    expect(Math.sign(comparePrimitives(a, b)) + Math.sign(comparePrimitives(b, a))).toBe(0);
    expect(comparePrimitives(a, a)).toBe(0);
    if (comparePrimitives(a, b) <= 0 && comparePrimitives(b, c) <= 0)
      expect(comparePrimitives(a, c)).toBeLessThanOrEqual(0);
  });

  test.prop([elementArb])('every valid primitive survives msgpack unchanged, in its stored form', (value) => {
    expect(primitiveProblem(value)).toBeUndefined();
    const stored = ownPrimitive(value);
    expect(unpack(pack(stored))).toStrictEqual(stored);
  });

  it('orders types boolean < number < bigint < string < bytes', () => {
    const sorted: CrdtPrimitive[] = [new Uint8Array([0]), 'a', 1n, 1, true, false, new Uint8Array(), '', 0.5, -1n];
    expect(sorted.sort(comparePrimitives)).toStrictEqual([
      false,
      true,
      0.5,
      1,
      -1n,
      1n,
      '',
      'a',
      new Uint8Array(),
      new Uint8Array([0]),
    ]);
  });

  it('names what is wrong with a value that is not a primitive', () => {
    expect(primitiveProblem(null)).toContain('null is not a CRDT primitive');
    expect(primitiveProblem(undefined)).toContain('undefined');
    expect(primitiveProblem(Number.NaN)).toContain('not a finite number');
    expect(primitiveProblem(new Map())).toContain('Map is not a CRDT primitive');
    expect(primitiveProblem(Object.create(null))).toContain('is not a CRDT primitive');
    expect(primitiveProblem('\uD83D')).toContain('lone surrogate');
    expect(primitiveProblem('\uD83D\uDE00')).toBeUndefined();
    expect(primitiveProblem(-(2n ** 1024n))).toBeUndefined();
    expect(primitiveProblem(2n ** 1024n)).toContain('bits');
    expect(primitiveProblem('x'.repeat(crdtLimits.maxStringLength + 1))).toContain('exceeds');
    expect(primitiveProblem(new Uint8Array(crdtLimits.maxBytesLength + 1))).toContain('exceed');
    expect(replicaIdProblem('')).toContain('empty');
    expect(replicaIdProblem(1)).toContain('must be a string');
    expect(replicaIdProblem('r'.repeat(crdtLimits.maxReplicaIdLength))).toBeUndefined();
    expect(replicaIdProblem('r'.repeat(crdtLimits.maxReplicaIdLength + 1))).toContain('exceeds');
  });

  it('stores -0 as 0 and copies bytes (a Buffer becomes a plain Uint8Array)', () => {
    expect(Object.is(ownPrimitive(-0), 0)).toBe(true);
    const buffer = Buffer.from([1, 2]);
    const own = ownPrimitive(buffer) as Uint8Array;
    buffer[0] = 9;
    expect(own).toStrictEqual(new Uint8Array([1, 2]));
    expect(Buffer.isBuffer(own)).toBe(false);
  });
});

describe('ElementMap', () => {
  test.prop([fc.array(fc.tuple(fc.boolean(), elementArb), { maxLength: 40 })])(
    'behaves as a map keyed by value, bytes by content',
    (ops) => {
      const map = new ElementMap<CrdtPrimitive>();
      const model = new Map<unknown, CrdtPrimitive>();
      const key = (e: CrdtPrimitive) => (e instanceof Uint8Array ? `bytes:${Buffer.from(e).toString('hex')}` : e);
      for (const [add, e] of ops) {
        if (add) {
          map.set(e, e);
          model.set(key(e), e);
        } else expect(map.delete(e)).toBe(model.delete(key(e)));
      }
      expect(map.size).toBe(model.size);
      expect(map.toArray().sort(comparePrimitives)).toStrictEqual([...model.values()].sort(comparePrimitives));
      expect([...map.values()]).toStrictEqual(map.toArray());
      for (const e of model.values()) {
        const lookup = e instanceof Uint8Array ? new Uint8Array(e) : e; // another array, same content
        expect(map.has(lookup)).toBe(true);
        expect(map.get(lookup)).toBe(e);
      }
    },
  );
});
