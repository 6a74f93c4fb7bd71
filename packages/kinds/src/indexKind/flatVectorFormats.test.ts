import { crc32 } from 'node:zlib';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { flatVectorIndex } from './flatVectorIndex.js';
import { orderedIndex } from './orderedIndex.js';
import { vectorMetrics } from './vectorMetric.js';
import { knnArrays, queryBatch, vectorCase, vectorTable } from './__tests__/vectorData.js';

const corrupt = (message: string): Error =>
  expect.objectContaining({
    code: 'CORRUPT_INPUT',
    phase: 'decode',
    kind: 'indexKind',
    message: expect.stringContaining(message) as string,
  }) as Error;

const layoutOf = (bytes: Uint8Array): number => new DataView(bytes.buffer, bytes.byteOffset).getUint32(4, true);

describe('flat vector index: persisted formats', () => {
  test.prop([vectorCase(80), fc.constantFrom(...vectorMetrics), fc.integer({ min: 1, max: 90 })], { numRuns: 60 })(
    'a format-1 index (written by an older version) opens on a format-2 provider and answers identically',
    (data, metric, k) => {
      const v1 = flatVectorIndex({ format: 1 }).build(vectorTable(data.rows, data.dim), {
        column: 'emb',
        params: { metric },
      });
      const format1 = v1.persist();
      expect(layoutOf(format1)).toBe(1);
      const reopened = flatVectorIndex().open(format1);
      const query = queryBatch(data.queries, data.dim);
      expect(knnArrays(reopened.probe(query, k))).toEqual(knnArrays(v1.probe(query, k)));
      const format2 = reopened.persist();
      expect(layoutOf(format2)).toBe(2);
      // Both formats hold the same index: each reopens to the same bytes in the other format.
      expect(flatVectorIndex({ format: 1 }).open(format2).persist()).toEqual(format1);
      expect(flatVectorIndex().open(format2).persist()).toEqual(format2);
    },
  );

  it('writes the version its provider is configured for, and refuses any other', () => {
    const table = vectorTable([[1, 2]], 2);
    expect(layoutOf(flatVectorIndex().build(table, { column: 'emb' }).persist())).toBe(2);
    expect(layoutOf(flatVectorIndex({ format: 1 }).build(table, { column: 'emb' }).persist())).toBe(1);
    expect(() => flatVectorIndex({ format: 3 as never })).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: expect.stringContaining('format must be 1 or 2') as string,
      }),
    );
    // The option's former spelling, or any unknown option, is refused rather than ignored.
    expect(() => flatVectorIndex({ persistFormat: 1 } as never)).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: expect.stringContaining("unknown option(s) 'persistFormat'") as string,
      }),
    );
    expect(() => orderedIndex({ format: 1 } as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining("'format'") as string }),
    );
  });

  it('format 2 is the header and then the vectors and row ids exactly as they lie in memory', () => {
    const index = flatVectorIndex().build(vectorTable([[1, 2], null, [3, 4]], 2), { column: 'emb' });
    const bytes = index.persist();
    expect(bytes.byteLength).toBe(64 + 4 * 4 + 2 * 4);
    expect(Array.from(new Float32Array(bytes.buffer, 64, 4))).toEqual([1, 2, 3, 4]);
    expect(Array.from(new Uint32Array(bytes.buffer, 64 + 16, 2))).toEqual([0, 2]);
    expect(String.fromCharCode(...bytes.subarray(0, 4))).toBe('BTIX');
    expect(String.fromCharCode(...bytes.subarray(16, 27))).toBe('flat-vector');
  });

  it('puts data of 64 KiB or more at a page boundary, and reopens it as a view', () => {
    const rows = Array.from({ length: 1024 }, (_, i) => Array.from({ length: 16 }, (_, j) => i - j));
    const index = flatVectorIndex().build(vectorTable(rows, 16), { column: 'emb' });
    const bytes = index.persist();
    expect(bytes.byteLength).toBe(4096 + 1024 * 16 * 4);
    const reopened = flatVectorIndex().open(bytes);
    expect(reopened.vectors.buffer).toBe(bytes.buffer);
    expect(reopened.vectors.byteOffset).toBe(4096);
    expect(reopened.persist()).toEqual(bytes);
  });
});

describe('format 2: open() checks every header field', () => {
  const good = flatVectorIndex()
    .build(
      vectorTable(
        [
          [1, 2],
          [3, 4],
        ],
        2,
      ),
      { column: 'emb', params: { metric: 'dot' } },
    )
    .persist();
  /** `good` with `edit` applied to its header, and the header checksum made right again. */
  const patched = (edit: (view: DataView) => void, extra = 0): Uint8Array => {
    const bytes = new Uint8Array(good.byteLength + extra);
    bytes.set(good);
    const view = new DataView(bytes.buffer);
    edit(view);
    const headerLength = view.getUint32(12, true);
    if (headerLength <= bytes.byteLength) view.setUint32(8, crc32(bytes.subarray(12, headerLength)), true);
    return bytes;
  };

  it('accepts the unpatched header', () => {
    expect(flatVectorIndex().open(patched(() => undefined)).metric).toBe('dot');
  });

  it.each([
    [
      'layout',
      (v: DataView) => {
        v.setUint32(4, 7, true);
      },
      'unknown index frame layout 7',
    ],
    [
      'header length',
      (v: DataView) => {
        v.setUint32(12, 72, true);
      },
      'bad header length 72',
    ],
    [
      'kind',
      (v: DataView) => {
        v.setUint8(16, 0x46);
      },
      "these bytes hold a 'Flat-vector' index",
    ],
    [
      'format version',
      (v: DataView) => {
        v.setUint32(32, 9, true);
      },
      'unknown format version 9 (this reader knows 2)',
    ],
    [
      'reserved',
      (v: DataView) => {
        v.setUint32(36, 1, true);
      },
      'reserved header bytes are not zero',
    ],
    [
      'data length',
      (v: DataView) => {
        v.setBigUint64(40, 12n, true);
      },
      '4 unexpected bytes after the data',
    ],
    [
      'dim',
      (v: DataView) => {
        v.setUint32(48, 0, true);
      },
      'dim 0 is outside 1..65536',
    ],
    [
      'count',
      (v: DataView) => {
        v.setUint32(52, 3, true);
      },
      '3 rows of dimension 2 need 24 bytes',
    ],
    [
      'data checksum',
      (v: DataView) => {
        v.setUint32(56, 1, true);
      },
      'checksum mismatch',
    ],
    [
      'metric',
      (v: DataView) => {
        v.setUint8(60, 9);
      },
      'unknown metric code 9',
    ],
    [
      'row ids',
      (v: DataView) => {
        v.setUint8(61, 2);
      },
      'unknown row-id layout code 2',
    ],
    [
      'padding',
      (v: DataView) => {
        v.setUint8(63, 1);
      },
      'reserved header bytes are not zero',
    ],
  ])('rejects a wrong %s', (_field, edit, message) => {
    expect(() => flatVectorIndex().open(patched(edit))).toThrow(corrupt(message));
  });

  it('rejects a header checksum that does not match, trailing bytes and a body that is too short', () => {
    const flipped = good.slice();
    flipped[20]! ^= 1;
    expect(() => flatVectorIndex().open(flipped)).toThrow(corrupt('header checksum mismatch'));
    expect(() => flatVectorIndex().open(patched(() => undefined, 4))).toThrow(
      corrupt('4 unexpected bytes after the data'),
    );
    expect(() => flatVectorIndex().open(good.subarray(0, good.byteLength - 4))).toThrow(corrupt('truncated'));
  });

  it('an index over more data than the limit is refused before it is read', () => {
    expect(() => flatVectorIndex({ maxBytes: 15 }).open(good)).toThrow(corrupt('over the limit of 15'));
  });
});
