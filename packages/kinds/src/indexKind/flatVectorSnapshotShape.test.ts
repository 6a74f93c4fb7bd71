import type { IndexSnapshot } from '@baton/core';
import { describe, expect, it } from 'vitest';
import { flatVectorIndex } from './flatVectorIndex.js';
import { FlatVectorIndexHandle } from './flatVectorIndexHandle.js';
import { orderedIndex } from './orderedIndex.js';
import { knnArrays, queryBatch, vectorTable } from './__tests__/vectorData.js';
import { tableFromArrays } from 'apache-arrow';

const refused = (message: string): Error =>
  expect.objectContaining({
    code: 'INVALID_ARGUMENT',
    phase: 'call',
    kind: 'indexKind',
    key: 'flat-vector',
    step: 'adopt',
    message: expect.stringContaining(message) as string,
  }) as Error;

/** A sparse cosine index of 3 vectors of dimension 2, probed once (so its snapshot carries norms). */
function source() {
  const handle = flatVectorIndex().build(vectorTable([[1, 0], null, [0, 1], [2, 2]], 2), {
    column: 'emb',
    params: { metric: 'cosine' },
  });
  handle.probe(queryBatch([[1, 1]], 2), 1);
  return handle;
}

const valid = source().snapshot();
const [vectors, rowIds, norms] = valid.buffers as [Float32Array, Uint32Array, Float64Array];

/** `valid` with `meta` fields replaced (`undefined` deletes one) and/or other buffers, byteLength kept consistent. */
function variant(meta: Record<string, unknown>, buffers: readonly ArrayBufferView[] = valid.buffers): IndexSnapshot {
  const merged = Object.fromEntries(
    Object.entries({ ...valid.meta, ...meta }).filter(([, value]) => value !== undefined),
  );
  const byteLength = buffers.reduce((sum, view) => sum + (ArrayBuffer.isView(view) ? view.byteLength : 0), 0);
  return { ...valid, meta: merged, buffers, byteLength };
}

function detached(): Float32Array {
  const buffer = new ArrayBuffer(24);
  const view = new Float32Array(buffer);
  structuredClone(buffer, { transfer: [buffer] });
  return view;
}

describe('flat vector index: adopt refuses a malformed snapshot of its layout with INVALID_ARGUMENT', () => {
  it('adopts the untouched snapshot (the variants below differ from it in one thing)', () => {
    expect(valid.meta).toEqual({
      metric: 'cosine',
      dim: 2,
      count: 3,
      crc32: valid.meta['crc32'],
      rowIds: 'sparse',
      norms: true,
    });
    const adopted = flatVectorIndex().adopt(variant({}))!;
    expect(knnArrays(adopted.probe(queryBatch([[1, 1]], 2), 3))).toEqual(
      knnArrays(source().probe(queryBatch([[1, 1]], 2), 3)),
    );
  });

  const cases: readonly (readonly [string, unknown, string])[] = [
    ['not an object', null, 'expected an IndexSnapshot object'],
    ['a number', 5, 'expected an IndexSnapshot object'],
    ['another kind', { ...valid, kind: 'ordered' }, 'made by kind "ordered"'],
    ['no kind', { ...valid, kind: undefined }, 'made by kind undefined'],
    ['a layout that is not a string', { ...valid, layout: 2 }, 'layout must be a string'],
    ['meta null', { ...valid, meta: null }, 'meta must be a plain object'],
    ['meta an array', { ...valid, meta: [] }, 'meta must be a plain object'],
    ['buffers not an array', { ...valid, buffers: { 0: vectors, length: 1 } }, 'buffers must be an array'],
    ['a byteLength that is not theirs', { ...valid, byteLength: valid.byteLength - 4 }, 'its buffers hold'],
    ['a byteLength NaN', { ...valid, byteLength: Number.NaN }, 'byteLength is NaN'],
    ['a missing meta field', variant({ crc32: undefined }), 'missing crc32'],
    ['an unknown meta field', variant({ hnsw: 16 }), 'unknown hnsw'],
    ['an unknown metric', variant({ metric: 'hamming' }), 'meta.metric "hamming" is not a known metric'],
    ['count NaN', variant({ count: Number.NaN }), 'meta.count must be an integer in 0..2147483647, not NaN'],
    ['count negative', variant({ count: -3 }), 'meta.count must be an integer'],
    ['count fractional', variant({ count: 1.5 }), 'meta.count must be an integer'],
    ['count a string', variant({ count: '3' }), 'meta.count must be an integer'],
    ['count over the row limit', variant({ count: 2 ** 31 }), 'meta.count must be an integer'],
    ['dim 0', variant({ dim: 0 }), 'meta.dim must be an integer in 1..65536'],
    ['dim over the limit', variant({ dim: 65537 }), 'meta.dim must be an integer in 1..65536'],
    ['crc32 negative', variant({ crc32: -1 }), 'meta.crc32 must be an integer in 0..4294967295'],
    ['crc32 over 32 bits', variant({ crc32: 2 ** 32 }), 'meta.crc32 must be an integer'],
    ['an unknown row-id layout', variant({ rowIds: 'packed' }), "meta.rowIds must be 'dense' or 'sparse'"],
    ['norms not a boolean', variant({ norms: 1 }), 'meta.norms must be a boolean'],
    ['a count the vectors do not hold', variant({ count: 2 }), 'buffers[0] (vectors) must be a Float32Array of 4'],
    ['a dim the vectors do not hold', variant({ dim: 3 }), 'buffers[0] (vectors) must be a Float32Array of 9'],
    ['Float64 vectors', variant({}, [Float64Array.from(vectors), rowIds, norms]), 'not a Float64Array of 6'],
    ['vectors one float short', variant({}, [vectors.subarray(1), rowIds, norms]), 'not a Float32Array of 5'],
    [
      'Int32 row ids',
      variant({}, [vectors, Int32Array.from(rowIds), norms]),
      'buffers[1] (row ids) must be a Uint32Array',
    ],
    [
      'row ids too long',
      variant({}, [vectors, Uint32Array.of(0, 1, 2, 3), norms]),
      'Uint32Array of 3, not a Uint32Array of 4',
    ],
    ['sparse without row ids', variant({}, [vectors, norms]), 'a sparse index with norms has 3 buffers, not 2'],
    ['dense with row ids', variant({ rowIds: 'dense' }), 'a dense index with norms has 2 buffers, not 3'],
    ['norms declared, none given', variant({}, [vectors, rowIds]), 'has 3 buffers, not 2'],
    ['norms undeclared, given', variant({ norms: false }), 'a sparse index has 2 buffers, not 3'],
    [
      'Float32 norms',
      variant({}, [vectors, rowIds, Float32Array.of(1, 1, 1)]),
      'buffers[2] (norms) must be a Float64Array',
    ],
    [
      'norms of another count',
      variant({}, [vectors, rowIds, norms.subarray(1)]),
      'Float64Array of 3, not a Float64Array of 2',
    ],
    [
      'a DataView buffer',
      variant({}, [new DataView(vectors.buffer), rowIds, norms]),
      'buffers[0] is not a live typed array',
    ],
    [
      'a plain array buffer',
      variant({}, [[0, 1, 2, 3, 4, 5] as never, rowIds, norms]),
      'buffers[0] is not a live typed array',
    ],
    [
      'a prototype-made fake Float32Array',
      variant({}, [Object.create(Float32Array.prototype) as Float32Array, rowIds, norms]),
      'buffers[0] is not a live typed array',
    ],
    ['a detached Float32Array', variant({}, [detached(), rowIds, norms]), 'buffers[0] is not a live typed array'],
  ];
  for (const [name, snapshot, message] of cases)
    it(name, () => {
      expect(() => flatVectorIndex().adopt(snapshot as IndexSnapshot)).toThrow(refused(message));
    });

  it('applies the adopting provider’s data limit, as open does', () => {
    // 3 × 2 floats + 3 row ids = 36 bytes of data (the norms are derived, not counted).
    expect(flatVectorIndex({ maxBytes: 36 }).adopt(valid)?.size).toBe(3);
    expect(() => flatVectorIndex({ maxBytes: 35 }).adopt(valid)).toThrow(
      refused('the index holds 36 bytes, over the limit of 35'),
    );
    // A count × dim the limit refuses is refused before its buffers are looked at.
    expect(() => flatVectorIndex().adopt(variant({ count: 2 ** 31 - 1, dim: 65536, rowIds: 'dense' }))).toThrow(
      refused('over the limit of 1073741824'),
    );
  });

  it('refuses another kind’s snapshot as a caller bug, but not an unknown layout of its own kind', () => {
    const keys = orderedIndex().build(tableFromArrays({ k: Int32Array.of(3, 1) }), { column: 'k' });
    const ordered = { kind: 'ordered', layout: 'ordered/1', meta: {}, buffers: [keys.rowIds], byteLength: 8 };
    expect(() => flatVectorIndex().adopt(ordered)).toThrow(refused('made by kind "ordered"'));
    expect(flatVectorIndex().adopt({ ...valid, layout: 'flat-vector/3' })).toBeUndefined();
  });

  it('a handle refuses a prototype-made fake typed array with INVALID_ARGUMENT, not a TypeError', () => {
    const state = { metric: 'l2', dim: 1, count: 0, crc32: 0, rowIds: undefined, maxProbeResults: 1 } as const;
    expect(FlatVectorIndexHandle.create({ ...state, vectors: new Float32Array(0) }).size).toBe(0);
    const fake = Object.create(Float32Array.prototype) as Float32Array;
    expect(() => FlatVectorIndexHandle.create({ ...state, vectors: fake })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', key: 'flat-vector' }),
    );
  });
});
