/** Scalar and aggregate function providers: Arrow in, Arrow out, exact mergeable aggregates. */
import { fc, test } from '@fast-check/vitest';
import { Field, FixedSizeList, Float32, Float64, Int32, makeVector, Utf8, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { typedError } from '../cdc/__tests__/cdcFixtures.js';
import { meanAggregate, sumAggregate } from './float64Aggregates.js';
import type { Float64SumState } from './float64Aggregates.js';
import { l2NormFunction } from './l2Norm.js';
import { lowerFunction, upperFunction } from './utf8Case.js';

/** The exact sum of doubles, correctly rounded (half to even): an oracle built on BigInt. */
function exactRounded(values: readonly number[]): number {
  const view = new DataView(new ArrayBuffer(8));
  let total = 0n; // in units of 2^-1074
  for (const x of values) {
    view.setFloat64(0, x);
    const bits = view.getBigUint64(0);
    const exponent = Number((bits >> 52n) & 0x7ffn);
    const fraction = bits & ((1n << 52n) - 1n);
    const mantissa = exponent === 0 ? fraction : fraction | (1n << 52n);
    const scaled = mantissa << BigInt(Math.max(exponent - 1, 0));
    total += bits >> 63n ? -scaled : scaled;
  }
  if (total === 0n) return values.every((x) => Object.is(x, -0)) ? -0 : 0; // IEEE: only -0 + -0 + … is -0
  const negative = total < 0n;
  let magnitude = negative ? -total : total;
  const length = magnitude.toString(2).length;
  let shift = 0;
  if (length > 53) {
    shift = length - 53;
    const rest = magnitude & ((1n << BigInt(shift)) - 1n);
    const half = 1n << BigInt(shift - 1);
    magnitude >>= BigInt(shift);
    if (rest > half || (rest === half && (magnitude & 1n) === 1n)) magnitude += 1n;
  }
  const exponent = shift - 1074;
  const half = Math.trunc(exponent / 2);
  const value = Number(magnitude) * 2 ** half * 2 ** (exponent - half);
  return negative ? -value : value;
}

const doubles = fc.double({ min: -1e300, max: 1e300, noNaN: true });
const column = (values: readonly (number | null)[]) => vectorFromArray(values, new Float64());

describe('sum / mean over Float64', () => {
  const sum = sumAggregate();
  const mean = meanAggregate();

  test.prop([fc.array(fc.option(doubles, { nil: null }), { maxLength: 40 }), fc.nat()], { numRuns: 200 })(
    'sum is the correctly rounded exact sum of the non-null values, over sliced vectors too',
    (values, sliceSeed) => {
      const from = values.length === 0 ? 0 : sliceSeed % values.length;
      const present = values.slice(from).filter((v): v is number => v !== null);
      const state = sum.update(sum.init() as Float64SumState, [column(values).slice(from)]) as Float64SumState;
      expect(state.count).toBe(present.length);
      expect(sum.finish(state)).toBe(present.length === 0 ? null : exactRounded(present));
    },
  );

  test.prop(
    [fc.array(doubles, { maxLength: 20 }), fc.array(doubles, { maxLength: 20 }), fc.array(doubles, { maxLength: 20 })],
    { numRuns: 200 },
  )('merge is associative and commutative in result, with init() as identity', (a, b, c) => {
    for (const agg of [sum, mean]) {
      const state = (values: number[]) =>
        agg.update(agg.init() as Float64SumState, [column(values)]) as Float64SumState;
      const [sa, sb, sc] = [state(a), state(b), state(c)];
      const merge = (l: Float64SumState, r: Float64SumState) => agg.merge(l, r) as Float64SumState;
      const left = agg.finish(merge(merge(sa, sb), sc));
      expect(agg.finish(merge(sa, merge(sb, sc)))).toBe(left);
      expect(agg.finish(merge(sc, merge(sb, sa)))).toBe(left);
      expect(agg.finish(state([...a, ...b, ...c]))).toBe(left);
      const init = agg.init() as Float64SumState;
      expect(agg.finish(merge(init, sa))).toBe(agg.finish(sa));
      expect(agg.finish(merge(sa, init))).toBe(agg.finish(sa));
      expect(merge(merge(sa, sb), sc).count).toBe(a.length + b.length + c.length);
    }
  });

  it('skips nulls, handles sliced chunks, and follows IEEE for infinities and NaN', () => {
    const values = column([1e16, null, 1, -1e16, 2.5]);
    expect(sum.finish(sum.update(sum.init() as Float64SumState, [values]) as Float64SumState)).toBe(3.5);
    expect(mean.finish(mean.update(mean.init() as Float64SumState, [values.slice(1)]) as Float64SumState)).toBe(
      -9999999999999996 / 3,
    ); // exact sum -9999999999999996.5 rounds to even, then / 3
    const fin = (xs: number[]) =>
      sum.finish(sum.update(sum.init() as Float64SumState, [makeVector(Float64Array.from(xs))]) as Float64SumState);
    expect(fin([Infinity, 1])).toBe(Infinity);
    expect(fin([-Infinity, 1])).toBe(-Infinity);
    expect(fin([Infinity, -Infinity])).toBeNaN();
    expect(fin([NaN, 1])).toBeNaN();
    expect(fin([1.7976931348623157e308, 1.7976931348623157e308])).toBe(Infinity);
    expect(sum.finish(sum.init() as Float64SumState)).toBeNull();
    expect(mean.finish(mean.init() as Float64SumState)).toBeNull();
  });

  it('rejects other argument types and foreign states', () => {
    const init = sum.init() as Float64SumState;
    expect(() => sum.update(init, [vectorFromArray([1], new Int32())])).toThrow(
      typedError('INVALID_ARGUMENT', 'Float64'),
    );
    expect(() => sum.update(init, [])).toThrow(typedError('INVALID_ARGUMENT', 'expects 1 argument'));
    expect(() => sum.update(init, [[1, 2] as never])).toThrow(typedError('INVALID_ARGUMENT', 'Arrow Vector'));
    expect(() => sum.merge(init, { count: 1 } as never)).toThrow(typedError('INVALID_ARGUMENT', 'state'));
    expect(() => sum.finish(null as never)).toThrow(typedError('INVALID_ARGUMENT'));
  });
});

const listOf = (dimension: number) => new FixedSizeList(dimension, new Field('item', new Float32(), true));

describe('lower / upper', () => {
  test.prop([fc.array(fc.option(fc.string({ unit: 'grapheme' }), { nil: null }), { maxLength: 30 })], { numRuns: 100 })(
    'map each string and keep nulls',
    async (values) => {
      const input = vectorFromArray(values, new Utf8());
      const lower = await lowerFunction().invoke([input]);
      const upper = await upperFunction({ name: 'UPPER' }).invoke([input]);
      expect(lower.type).toBeInstanceOf(Utf8);
      expect(lower.toArray()).toEqual(values.map((v) => (v === null ? null : v.toLowerCase())));
      expect(upper.toArray()).toEqual(values.map((v) => (v === null ? null : v.toUpperCase())));
    },
  );

  it('declares its types and rejects other arguments', () => {
    const lower = lowerFunction();
    expect(lower).toMatchObject({ name: 'lower', returnType: expect.any(Utf8), argumentTypes: [expect.any(Utf8)] });
    expect(() => lower.invoke([vectorFromArray([1.5], new Float64())])).toThrow(typedError('INVALID_ARGUMENT', 'Utf8'));
    expect(() => lower.invoke([])).toThrow(typedError('INVALID_ARGUMENT'));
    expect(() => lower.invoke([vectorFromArray(['a'])], { signal: AbortSignal.abort() })).toThrow(
      typedError('ABORTED'),
    );
  });
});

describe('l2norm', () => {
  const vectors = (dimension: number) =>
    fc.array(
      fc.option(
        fc.array(fc.float({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }), {
          minLength: dimension,
          maxLength: dimension,
        }),
        { nil: null },
      ),
      { maxLength: 20 },
    );

  test.prop([fc.integer({ min: 1, max: 8 }).chain((d) => fc.tuple(fc.constant(d), vectors(d))), fc.nat()], {
    numRuns: 100,
  })(
    'is the Euclidean norm of each list, null for null lists, over sliced vectors too',
    async ([dimension, rows], sliceSeed) => {
      const input = vectorFromArray(rows, listOf(dimension));
      const from = rows.length === 0 ? 0 : sliceSeed % rows.length;
      for (const [vector, expected] of [
        [input, rows],
        [input.slice(from), rows.slice(from)],
      ] as const) {
        const out = await l2NormFunction().invoke([vector]);
        expect(out.type).toBeInstanceOf(Float64);
        expect(out.length).toBe(expected.length);
        expected.forEach((row, i) => {
          if (row === null) expect(out.get(i)).toBeNull();
          else expect(out.get(i)).toBeCloseTo(Math.sqrt(row.reduce((s, v) => s + Math.fround(v) ** 2, 0)), 6);
        });
      }
    },
  );

  it('gives null for a list holding a null element, checks its declared dimension', async () => {
    const input = vectorFromArray([[3, 4], [1, null], null], listOf(2));
    const out = await l2NormFunction().invoke([input]);
    expect(Array.from({ length: out.length }, (_, i) => out.get(i) as unknown)).toEqual([5, null, null]);
    const fixed = l2NormFunction({ dimension: 3 });
    expect(fixed.argumentTypes?.[0]).toBeInstanceOf(FixedSizeList);
    expect((fixed.argumentTypes![0] as FixedSizeList).listSize).toBe(3);
    expect(() => fixed.invoke([input])).toThrow(typedError('INVALID_ARGUMENT', 'FixedSizeList[3]<Float32>'));
    expect(() => l2NormFunction({ dimension: 0 })).toThrow(typedError('INVALID_ARGUMENT', 'dimension'));
    expect(() =>
      l2NormFunction().invoke([vectorFromArray([[1]], new FixedSizeList(1, new Field('item', new Float64())))]),
    ).toThrow(typedError('INVALID_ARGUMENT'));
  });
});
