import { fc, test } from '@fast-check/vitest';
import {
  Field,
  FixedSizeBinary,
  FixedSizeList,
  Float16,
  Float32,
  Float64,
  Int32,
  Utf8,
  tableFromIPC,
  tableToIPC,
  vectorFromArray,
  Table,
} from 'apache-arrow';
import type { DataType, Vector } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { forEachStorageValue, storageVector } from './storageColumn.js';

const read = (vector: Vector): unknown[] => {
  const out: unknown[] = [];
  forEachStorageValue(vector, (row, value) => {
    expect(row).toBe(out.length);
    out.push(
      value instanceof Uint8Array || value instanceof Float64Array || value instanceof Float32Array
        ? [...value]
        : value,
    );
  });
  return out;
};
/** What arrow-js itself reads from a vector, in the same shape as `read`. */
const arrowRead = (vector: Vector): unknown[] =>
  [...(vector as Iterable<unknown>)].map((v) =>
    v instanceof Uint8Array ? [...v] : v !== null && typeof v === 'object' ? [...(v as Iterable<number>)] : v,
  );
const pair = () => new FixedSizeList(2, new Field('item', new Float64(), true));

describe('storageVector', () => {
  it('lays out FixedSizeBinary, Utf8 and float pairs directly, without child nulls', () => {
    const bytes = storageVector(new FixedSizeBinary(2), [Uint8Array.of(1, 2), null, Uint8Array.of(3, 4)]);
    expect(bytes.nullCount).toBe(1);
    expect([...bytes.data[0]!.values]).toEqual([1, 2, 0, 0, 3, 4]);
    const text = storageVector(new Utf8(), ['a', null, 'é€😀', '']);
    expect([...text.data[0]!.valueOffsets]).toEqual([0, 1, 1, 10, 10]);
    expect(read(text)).toEqual(['a', null, 'é€😀', '']);
    const points = storageVector(pair(), [[1, 2], null, Float64Array.of(5, 6)]);
    expect(points.data[0]!.children[0]!.nullCount).toBe(0);
    expect(read(points)).toEqual([[1, 2], null, [5, 6]]);
    expect(read(storageVector(new FixedSizeList(3, new Field('v', new Float32(), false)), [[0.5, 1, 2]]))).toEqual([
      [0.5, 1, 2],
    ]);
  });

  it('falls back to arrow-js builders for other types and for values that do not fit the layout', () => {
    expect(read(storageVector(new Int32(), [1, null, 3]))).toEqual([1, null, 3]);
    expect(arrowRead(storageVector(new FixedSizeList(2, new Field('h', new Float16(), true)), [[1, 2]]))).toEqual([
      [1, 2],
    ]);
    expect(arrowRead(storageVector(new FixedSizeList(2, new Field('i', new Int32(), true)), [[1, 2], null]))).toEqual([
      [1, 2],
      null,
    ]);
    expect(read(storageVector(pair(), [{ length: 2, 0: 1, 1: 2 }]))).toEqual([[1, 2]]);
    expect(() => storageVector(new FixedSizeBinary(2), [Uint8Array.of(1, 2), [7, 8]], 'test.bytes')).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        key: 'test.bytes',
        message: expect.stringContaining(
          'row 1: the Arrow builder of FixedSizeBinary[2] rejects storage value an array of 2',
        ),
      }) as Error,
    );
  });

  it('reads sliced and multi-chunk vectors, and columns read back from IPC', () => {
    const text = storageVector(new Utf8(), ['x', 'yy', null, 'zzz']);
    expect(read(text.slice(1, 4))).toEqual(['yy', null, 'zzz']);
    const points = storageVector(pair(), [[1, 2], [3, 4], null, [7, 8]]);
    expect(read(points.slice(1))).toEqual([[3, 4], null, [7, 8]]);
    expect(read(points.slice(1).concat(points.slice(0, 1)))).toEqual([[3, 4], null, [7, 8], [1, 2]]);
    const back = tableFromIPC(tableToIPC(new Table({ text, points })));
    expect(read(back.getChild('text')!)).toEqual(['x', 'yy', null, 'zzz']);
    expect(read(back.getChild('points')!)).toEqual([[1, 2], [3, 4], null, [7, 8]]);
  });

  it('lets a reader see a null child coordinate (generic path) instead of a silent 0', () => {
    const withChildNull = vectorFromArray([[1, null]], new FixedSizeList(2, new Field('item', new Float64(), true)));
    const seen: unknown[] = [];
    forEachStorageValue(withChildNull, (_, value) => seen.push([...(value as Iterable<unknown>)]));
    expect(seen).toEqual([[1, null]]);
  });
});

const utf8Rows = fc.array(fc.option(fc.string({ unit: 'grapheme' }), { nil: null }), { maxLength: 30 });
const binaryRows = fc.array(fc.option(fc.uint8Array({ minLength: 4, maxLength: 4 }), { nil: null }), { maxLength: 30 });
const pairRows = fc.array(fc.option(fc.tuple(fc.double(), fc.double()), { nil: null }), { maxLength: 30 });

test.prop([utf8Rows, binaryRows, pairRows], { numRuns: 60 })(
  'the direct layout reads the same as arrow-js, before and after IPC',
  (texts, bins, pairs) => {
    const cases: [DataType, unknown[]][] = [
      [new Utf8(), texts],
      [new FixedSizeBinary(4), bins],
      [pair(), pairs],
    ];
    for (const [type, rows] of cases) {
      const vector = storageVector(type, rows);
      const expected = rows.map((row) =>
        row === null ? null : typeof row === 'string' ? row : [...(row as Iterable<number>)],
      );
      expect(read(vector)).toEqual(expected);
      expect(arrowRead(vector)).toEqual(expected);
      const back = tableFromIPC(tableToIPC(new Table({ c: vector }), 'file')).getChild('c')!;
      expect(read(back)).toEqual(expected);
    }
  },
);
