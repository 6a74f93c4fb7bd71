import { fc, test } from '@fast-check/vitest';
import {
  Bool,
  Float16,
  Float64,
  Int32,
  Int64,
  Table,
  TimestampMillisecond,
  TimestampSecond,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { typeName } from './indexErrors.js';
import { orderedIndex } from './orderedIndex.js';
import {
  equalityBatch,
  equalityRanges,
  keyCase,
  keySpecs,
  keyTable,
  matchArrays,
  rangeBatch,
  referenceLookup,
} from './__tests__/keyData.js';

describe.each(keySpecs)('ordered index over $name keys', (spec) => {
  test.prop([keyCase(spec), fc.integer({ min: -1, max: 310 })], { numRuns: 40 })(
    'range and equality lookups equal a brute-force filter',
    (data, k) => {
      const index = orderedIndex().build(keyTable(spec, data.keys), { column: 'k' });
      const ranges = matchArrays(index.probe(rangeBatch(spec.boundType(), data.ranges), k));
      expect(ranges).toEqual(referenceLookup(spec, data.keys, data.ranges, k));
      const equals = matchArrays(index.probe(equalityBatch(spec.boundType(), data.equals), k));
      expect(equals).toEqual(referenceLookup(spec, data.keys, equalityRanges(data.equals), k));
    },
  );

  test.prop([keyCase(spec, 120), fc.integer({ min: 1, max: 130 })], { numRuns: 25 })(
    'a new provider instance answers identically after persist → open',
    (data, k) => {
      const old = orderedIndex().build(keyTable(spec, data.keys), { column: 'k' });
      const bytes = old.persist();
      const reopened = orderedIndex().open(bytes);
      for (const query of [rangeBatch(spec.boundType(), data.ranges), equalityBatch(spec.boundType(), data.equals)]) {
        expect(matchArrays(reopened.probe(query, k))).toEqual(matchArrays(old.probe(query, k)));
      }
      expect(typeName(reopened.keyType)).toBe(typeName(spec.type()));
      expect(reopened.persist()).toEqual(bytes);
      if (old.size > 0) expect(reopened.rowIds.buffer === bytes.buffer).toBe(true); // aligned input: a view, not a copy
    },
  );
});

describe('ordered index', () => {
  const strings = ['b', null, 'a', '😀', 'b', '\u{ffff}', 'ab'];

  it('orders strings by UTF-8 bytes (code points), ties by row id, and skips nulls', () => {
    const index = orderedIndex().build(new Table({ s: vectorFromArray(strings, new Utf8()) }), { column: 's' });
    expect(index.size).toBe(6);
    expect(Array.from(index.rowIds)).toEqual([2, 6, 0, 4, 5, 3]);
    expect(matchArrays(index.probe(equalityBatch(new Utf8(), ['b', null, 'zz']), 10))).toEqual({
      query: [0, 0],
      row: [0, 4],
    });
    const sliced = orderedIndex().build(new Table({ s: vectorFromArray(strings, new Utf8()).slice(2) }), {
      column: 's',
    });
    const query = new Table({ key: vectorFromArray(['x', 'b', 'ab'], new Utf8()).slice(1) }).batches[0]!;
    expect(matchArrays(sliced.probe(query, 10))).toEqual({ query: [0, 1], row: [2, 4] });
  });

  it('treats null bounds as unbounded, honours exclusive flags and caps each query at k', () => {
    const index = orderedIndex().build(new Table({ n: vectorFromArray([5, 1, 3, 3, 9], new Int32()) }), {
      column: 'n',
    });
    const query = new Table({
      lo: vectorFromArray([null, 3, 3], new Int32()),
      hi: vectorFromArray([3, null, 9], new Int32()),
      hiInclusive: vectorFromArray([false, null, true], new Bool()),
      loInclusive: vectorFromArray([null, false, true], new Bool()),
    }).batches[0]!;
    expect(matchArrays(index.probe(query, 10))).toEqual({ query: [0, 1, 1, 2, 2, 2, 2], row: [1, 0, 4, 2, 3, 0, 4] });
    expect(matchArrays(index.probe(query, 1))).toEqual({ query: [0, 1, 2], row: [1, 0, 2] });
    const onlyLo = new Table({ lo: vectorFromArray([4], new Int32()) }).batches[0]!;
    expect(matchArrays(index.probe(onlyLo, 5)).row).toEqual([0, 4]);
  });

  it('bounds a Timestamp index with the same type or raw Int values, and rejects other units', () => {
    const index = orderedIndex().build(
      new Table({ t: vectorFromArray([3000, 1000, 2000], new TimestampMillisecond()) }),
      { column: 't' },
    );
    expect(matchArrays(index.probe(equalityBatch(new Int64(), [2000n]), 5)).row).toEqual([2]);
    expect(matchArrays(index.probe(equalityBatch(new TimestampMillisecond(), [1000]), 5)).row).toEqual([1]);
    expect(() => index.probe(equalityBatch(new TimestampSecond(), [1000]), 5)).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: expect.stringContaining("'key' has type") as string,
      }),
    );
  });

  it('rejects bad builds and queries with INVALID_ARGUMENT', () => {
    const kind = orderedIndex({ maxProbeResults: 3 });
    const invalid = (message: string): Error =>
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: expect.stringContaining(message) as string,
      }) as Error;
    const half = new Table({ h: vectorFromArray([1], new Float16()) });
    expect(() => kind.build(half, { column: 'h' })).toThrow(invalid('cannot index Float16 keys'));
    expect(() => kind.build(half, { column: 'h', params: { x: 1 } })).toThrow(invalid('takes no params'));
    expect(() =>
      orderedIndex({ maxBytes: 7 }).build(new Table({ n: vectorFromArray([1], new Int32()) }), { column: 'n' }),
    ).toThrow(invalid('over the limit of 7'));
    const index = kind.build(new Table({ n: vectorFromArray([1, 1, 1, 1], new Int32()) }), { column: 'n' });
    const both = new Table({ key: vectorFromArray([1], new Int32()), lo: vectorFromArray([1], new Int32()) })
      .batches[0]!;
    expect(() => index.probe(both, 1)).toThrow(invalid("either a 'key' column or 'lo'/'hi'"));
    expect(() => index.probe(new Table({ x: vectorFromArray([1], new Int32()) }).batches[0]!, 1)).toThrow(
      invalid("needs a 'key' column"),
    );
    expect(() => index.probe(equalityBatch(new Utf8(), ['1']), 1)).toThrow(invalid("'key' has type Utf8"));
    expect(() => index.probe(equalityBatch(new Int32(), [1]), 4)).toThrow(
      invalid('matches 4 rows, over the limit of 3'),
    );
    const flags = new Table({ lo: vectorFromArray([1], new Int32()), loInclusive: vectorFromArray([1], new Int32()) })
      .batches[0]!;
    expect(() => index.probe(flags, 1)).toThrow(invalid("'loInclusive' must be a Bool column"));
    expect(() => index.probe(new Table({ lo: vectorFromArray([1], new Float16()) }).batches[0]!, 1)).toThrow(
      invalid("'lo' has type Float16"),
    );
    const floats = kind.build(new Table({ f: vectorFromArray([1.5], new Float64()) }), { column: 'f' });
    expect(() => floats.probe(new Table({ hi: vectorFromArray([NaN], new Float64()) }).batches[0]!, 1)).toThrow(
      invalid("'hi' of query row 0 is NaN"),
    );
  });

  it('reopens bytes that are not 8-byte aligned with one copy and the same answers', () => {
    const index = orderedIndex().build(new Table({ n: vectorFromArray([2n, 1n, 2n], new Int64()) }), {
      column: 'n',
    });
    const bytes = index.persist();
    const shifted = new Uint8Array(bytes.byteLength + 4);
    shifted.set(bytes, 4);
    const reopened = orderedIndex().open(shifted.subarray(4));
    expect(reopened.rowIds.buffer === shifted.buffer).toBe(false);
    const query = equalityBatch(new Int64(), [2n, 1n]);
    expect(matchArrays(reopened.probe(query, 5))).toEqual(matchArrays(index.probe(query, 5)));
    expect(matchArrays(reopened.probe(query, 5))).toEqual({ query: [0, 0, 1], row: [0, 2, 1] });
  });

  it('refuses calls on a closed handle with RESOURCE_CLOSED', () => {
    const index = orderedIndex().build(new Table({ n: vectorFromArray([1], new Int32()) }), { column: 'n' });
    index.close();
    index.close();
    expect(() => index.probe(equalityBatch(new Int32(), [1]), 1)).toThrow(
      expect.objectContaining({ code: 'RESOURCE_CLOSED', key: 'ordered', step: 'probe' }),
    );
    expect(() => index.persist()).toThrow(expect.objectContaining({ code: 'RESOURCE_CLOSED' }));
    expect(() => index.rowIds).toThrow(expect.objectContaining({ code: 'RESOURCE_CLOSED' }));
  });
});
