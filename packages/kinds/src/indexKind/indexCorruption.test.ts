import { fc, test } from '@fast-check/vitest';
import { Field, FixedSizeList, Float32, Int32, makeData, Table, tableToIPC, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { flatVectorIndex } from './flatVectorIndex.js';
import { META_DIM, META_METRIC, META_ROW_IDS } from './flatVectorFormat1.js';
import { FLAT_VECTOR_KIND } from './indexLimits.js';
import { checksum, META_CRC32, META_FORMAT_VERSION, META_KIND, META_ROWS } from './indexFile.js';
import { writeIndexFile } from './indexWriter.js';
import { orderedIndex } from './orderedIndex.js';
import { knnArrays, queryBatch, vectorCase, vectorTable } from './__tests__/vectorData.js';

/** The two kinds, each with a small index whose body has no padding (so every byte matters). */
const kinds = [
  {
    name: 'flat-vector',
    open: (bytes: Uint8Array) => flatVectorIndex().open(bytes),
    build: () =>
      flatVectorIndex().build(
        vectorTable(
          [
            [1, 2],
            [3, 4],
            [1, 2],
            [0, -1],
          ],
          2,
        ),
        { column: 'emb', params: { metric: 'cosine' } },
      ),
  },
  {
    name: 'ordered',
    open: (bytes: Uint8Array) => orderedIndex().open(bytes),
    build: () => orderedIndex().build(new Table({ n: vectorFromArray([4, 2, 4, 9], new Int32()) }), { column: 'n' }),
  },
] as const;

const corrupt = (message?: string): Error =>
  expect.objectContaining({
    code: 'CORRUPT_INPUT',
    phase: 'decode',
    kind: 'indexKind',
    ...(message === undefined ? {} : { message: expect.stringContaining(message) as string }),
  }) as Error;

describe.each(kinds)('$name: open() of bad bytes', (k) => {
  const bytes = k.build().persist();

  test.prop([fc.uint8Array({ maxLength: 2048 })], { numRuns: 200 })('random bytes are CORRUPT_INPUT', (random) => {
    expect(() => k.open(random)).toThrow(corrupt());
  });

  test.prop([fc.uint8Array({ maxLength: 1024 })], { numRuns: 200 })(
    'random bytes behind a valid frame prefix are CORRUPT_INPUT',
    (random) => {
      const forged = new Uint8Array(16 + random.length);
      forged.set(bytes.subarray(0, 16));
      forged.set(random, 16);
      expect(() => k.open(forged)).toThrow(corrupt());
    },
  );

  it('rejects every truncation', () => {
    for (let length = 0; length < bytes.length; length++)
      expect(() => k.open(bytes.slice(0, length))).toThrow(corrupt());
  });

  it('rejects every single-bit flip', () => {
    for (let at = 0; at < bytes.length; at++) {
      for (let bit = 0; bit < 8; bit++) {
        const flipped = bytes.slice();
        flipped[at]! ^= 1 << bit;
        expect(() => k.open(flipped), `byte ${at} bit ${bit}`).toThrow(corrupt());
      }
    }
  });

  it('names the problem: another kind, a foreign format, a size limit, not bytes', () => {
    const other = kinds.find((o) => o.name !== k.name)!;
    expect(() => k.open(other.build().persist())).toThrow(corrupt(`these bytes hold a '${other.name}' index`));
    expect(() => k.open(tableToIPC(new Table({ a: vectorFromArray([1]) }), 'file'))).toThrow(
      corrupt('bad magic number (not a persisted Baton index)'),
    );
    expect(() => k.open('not bytes' as never)).toThrow(corrupt('expected bytes'));
    const small = k.name === 'ordered' ? orderedIndex({ maxBytes: 8 }) : flatVectorIndex({ maxBytes: 8 });
    expect(() => small.open(new Uint8Array(8 + 1024 * 1024 + 1))).toThrow(corrupt('exceed the limit'));
    expect(() => small.open(bytes)).toThrow(corrupt('over the limit of 8'));
  });
});

test.prop([vectorCase(60), fc.nat(), fc.integer({ min: 0, max: 7 })], { numRuns: 150 })(
  'a bit flip anywhere in any flat index is CORRUPT_INPUT, or lands in padding and changes nothing',
  (data, at, bit) => {
    const index = flatVectorIndex().build(vectorTable(data.rows, data.dim), { column: 'emb' });
    const bytes = index.persist();
    const flipped = bytes.slice();
    flipped[at % bytes.length]! ^= 1 << bit;
    let reopened;
    try {
      reopened = flatVectorIndex().open(flipped);
    } catch (error) {
      expect(error).toEqual(corrupt());
      return;
    }
    const query = queryBatch(data.queries, data.dim);
    expect(knnArrays(reopened.probe(query, 5))).toEqual(knnArrays(index.probe(query, 5)));
    expect(reopened.persist()).toEqual(bytes);
  },
);

describe('open() validates the metadata it is given', () => {
  const dim = 2;
  const vectors = new Float32Array([1, 2, 3, 4]);
  const listType = new FixedSizeList(dim, new Field('item', new Float32(), false));
  const column = makeData({
    type: listType,
    length: 2,
    nullCount: 0,
    child: makeData({ type: new Float32(), length: 4, nullCount: 0, data: vectors }),
  });
  const good: Record<string, string> = {
    [META_KIND]: FLAT_VECTOR_KIND,
    [META_FORMAT_VERSION]: '1',
    [META_METRIC]: 'l2',
    [META_DIM]: '2',
    [META_ROWS]: '2',
    [META_ROW_IDS]: 'dense',
    [META_CRC32]: String(checksum([vectors])),
  };
  const craft = (overrides: Record<string, string | undefined>): Uint8Array => {
    const entries = Object.entries({ ...good, ...overrides }).filter((e): e is [string, string] => e[1] !== undefined);
    return writeIndexFile([new Field('vector', listType, false)], [column], 2, new Map(entries));
  };

  it('accepts the crafted reference file', () => {
    expect(Array.from(flatVectorIndex().open(craft({})).vectors)).toEqual([1, 2, 3, 4]);
  });

  it.each([
    [{ [META_FORMAT_VERSION]: '2' }, 'unknown format version 2 (this reader knows 1)'],
    [{ [META_FORMAT_VERSION]: '1.0' }, "metadata 'baton.index.formatVersion' is not a non-negative integer"],
    [{ [META_KIND]: undefined }, 'not a Baton index file'],
    [{ [META_METRIC]: 'hamming' }, 'unknown metric "hamming"'],
    [{ [META_DIM]: '3' }, 'the vector column is not FixedSizeList[3]'],
    [{ [META_DIM]: '0' }, 'metadata dim is 0'],
    [{ [META_DIM]: '999999' }, "metadata 'baton.index.dim' = 999999 exceeds 65536"],
    [{ [META_ROWS]: '3' }, 'metadata says 3 rows, the batch has 2'],
    [{ [META_ROWS]: undefined }, "metadata 'baton.index.rows' is missing"],
    [{ [META_ROW_IDS]: 'sparse' }, 'unexpected columns [vector] for a sparse index'],
    [{ [META_ROW_IDS]: 'zigzag' }, 'unknown row-id layout "zigzag"'],
    [{ [META_CRC32]: '1' }, 'checksum mismatch'],
  ])('rejects %o', (overrides, message) => {
    expect(() => flatVectorIndex().open(craft(overrides))).toThrow(corrupt(message));
  });

  it('skips only the data checksum when told the bytes were verified elsewhere', () => {
    const bytes = craft({ [META_CRC32]: '1' });
    expect(flatVectorIndex({ verifyChecksum: false }).open(bytes).size).toBe(2);
    expect(() => flatVectorIndex({ verifyChecksum: false }).open(craft({ [META_DIM]: '3' }))).toThrow(corrupt());
  });
});
