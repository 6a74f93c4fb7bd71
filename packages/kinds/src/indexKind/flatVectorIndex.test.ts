import { fc, test } from '@fast-check/vitest';
import { Table } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { flatVectorIndex } from './flatVectorIndex.js';
import { vectorMetrics } from './vectorMetric.js';
import { knnArrays, queryBatch, referenceKnn, vectorCase, vectorTable } from './__tests__/vectorData.js';

const metric = fc.constantFrom(...vectorMetrics);

describe('flat vector index: exact k-NN', () => {
  test.prop([vectorCase(), metric, fc.integer({ min: -2, max: 320 })], { numRuns: 120 })(
    'equals a brute-force reference',
    (data, m, k) => {
      const index = flatVectorIndex().build(vectorTable(data.rows, data.dim), {
        column: 'emb',
        params: { metric: m },
      });
      const got = knnArrays(index.probe(queryBatch(data.queries, data.dim), k));
      const want = referenceKnn(m, data.rows, data.queries, k);
      expect(got.query).toEqual(want.query);
      expect(got.row).toEqual(want.row);
      got.distance.forEach((d, i) => {
        expect(d).toBeCloseTo(want.distance[i]!, 5);
      });
      expect(index.size).toBe(data.rows.filter((r) => r !== null).length);
    },
  );

  test.prop([vectorCase(120), metric, fc.integer({ min: 1, max: 130 })], { numRuns: 60 })(
    'a new provider instance answers identically after persist → open',
    (data, m, k) => {
      const old = flatVectorIndex().build(vectorTable(data.rows, data.dim), {
        column: 'emb',
        params: { metric: m },
      });
      const bytes = old.persist();
      const reopened = flatVectorIndex().open(bytes);
      const query = queryBatch(data.queries, data.dim);
      expect(knnArrays(reopened.probe(query, k))).toEqual(knnArrays(old.probe(query, k)));
      expect([reopened.metric, reopened.dim, reopened.size]).toEqual([m, data.dim, old.size]);
      expect(reopened.persist()).toEqual(bytes); // the format is deterministic and loses nothing
      if (old.size > 0) expect(reopened.vectors.buffer === bytes.buffer).toBe(true); // aligned input: a view, not a copy
    },
  );

  it('orders ties by row id and reports source row ids around null and non-finite rows', () => {
    const rows = [[1, 1], null, [0, 0], [1, 1], [NaN, 0], [0, Infinity], [1, 1]];
    const index = flatVectorIndex().build(vectorTable(rows, 2), { column: 'emb', params: { metric: 'l2sq' } });
    expect(index.size).toBe(4);
    expect(Array.from(index.rowIds!)).toEqual([0, 2, 3, 6]);
    expect(knnArrays(index.probe(queryBatch([[1, 1]], 2), 10))).toEqual({
      query: [0, 0, 0, 0],
      row: [0, 3, 6, 2],
      distance: [0, 0, 0, 2],
    });
  });

  it('builds from a table of several record batches, in source row order', () => {
    const a = vectorTable([[3], [1]], 1);
    const b = vectorTable([null, [2]], 1);
    const index = flatVectorIndex().build(a.concat(b), { column: 'emb' });
    expect(knnArrays(index.probe(queryBatch([[0]], 1), 5))).toEqual({
      query: [0, 0, 0],
      row: [1, 3, 0],
      distance: [1, 2, 3],
    });
    const sliced = flatVectorIndex().build(a.concat(b).slice(1), { column: 'emb' });
    const query = new Table({
      vector: queryBatch([[9], [0], [2.5]], 1)
        .getChild('vector')!
        .slice(1),
    }).batches[0]!;
    expect(knnArrays(sliced.probe(query, 5))).toEqual({
      query: [0, 0, 1, 1],
      row: [0, 2, 2, 0],
      distance: [1, 2, 0.5, 1.5],
    });
  });

  it('handles k <= 0, k above the size, an empty index, null queries and Float64 or renamed query columns', () => {
    const kind = flatVectorIndex();
    const index = kind.build(
      vectorTable(
        [
          [0, 1],
          [2, 2],
        ],
        2,
      ),
      { column: 'emb', params: { metric: 'cosine' } },
    );
    const q = queryBatch([[0, 1], null, [2, 2]], 2);
    expect(index.probe(q, 0).numRows).toBe(0);
    expect(index.probe(q, -5).numRows).toBe(0);
    expect(knnArrays(index.probe(q, 99)).query).toEqual([0, 0, 2, 2]);
    expect(knnArrays(index.probe(queryBatch([[0, 1]], 2, { float64: true, column: 'q' }), 1)).row).toEqual([0]);
    const empty = kind.build(vectorTable([], 3), { column: 'emb' });
    expect(empty.size).toBe(0);
    expect(empty.probe(queryBatch([[1, 2, 3]], 3), 4).numRows).toBe(0);
    const reopened = flatVectorIndex().open(empty.persist());
    expect(reopened.size).toBe(0);
    expect(reopened.probe(queryBatch([[1, 2, 3]], 3), 4).schema.fields.map((f) => f.name)).toEqual([
      'query',
      'row',
      'distance',
    ]);
  });

  it('reopens unaligned bytes with one copy and the same answers', () => {
    const index = flatVectorIndex().build(vectorTable([[1, 2, 3], [4, 5, 6], null], 3), { column: 'emb' });
    const bytes = index.persist();
    const shifted = new Uint8Array(bytes.byteLength + 1);
    shifted.set(bytes, 1);
    const unaligned = shifted.subarray(1);
    const reopened = flatVectorIndex().open(unaligned);
    expect(reopened.vectors.buffer === unaligned.buffer).toBe(false);
    const q = queryBatch([[4, 5, 5]], 3);
    expect(knnArrays(reopened.probe(q, 3))).toEqual(knnArrays(index.probe(q, 3)));
  });

  it('rejects bad arguments with INVALID_ARGUMENT', () => {
    const kind = flatVectorIndex({ maxProbeResults: 10 });
    const table = vectorTable([[1, 2]], 2);
    const index = kind.build(table, { column: 'emb' });
    const invalid = (message: string): Error =>
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: expect.stringContaining(message) as string,
      }) as Error;
    expect(() => kind.build(table, { column: 'nope' })).toThrow(invalid("no column 'nope' (columns: 'emb')"));
    expect(() => kind.build(table, { column: 'emb', params: { metric: 'manhattan' } })).toThrow(
      invalid('unknown metric "manhattan"'),
    );
    expect(() => kind.build(table, { column: 'emb', params: { metrc: 'l2' } })).toThrow(
      invalid('unknown params metrc'),
    );
    expect(() => kind.build(queryBatch([[1]], 1, { float64: true }), { column: 'vector' })).toThrow(
      invalid('must be FixedSizeList<Float32>'),
    );
    expect(() => flatVectorIndex({ maxBytes: 4 }).build(table, { column: 'emb' })).toThrow(
      invalid('over the limit of 4'),
    );
    expect(() => index.probe(queryBatch([[1, 2, 3]], 3), 1)).toThrow(
      invalid('query vectors have dimension 3, the index has 2'),
    );
    expect(() => index.probe(queryBatch([[1, NaN]], 2), 1)).toThrow(
      invalid('query row 0 has a null or non-finite component at 1'),
    );
    expect(() => index.probe(queryBatch([[1, 2]], 2), 1.5)).toThrow(invalid('k must be a safe integer'));
    expect(() =>
      index.probe(
        queryBatch(
          Array.from({ length: 11 }, () => [1, 2]),
          2,
        ),
        1,
      ),
    ).toThrow(invalid('over the limit of 10'));
  });

  it('refuses calls on a closed handle with RESOURCE_CLOSED, and aborted calls with ABORTED', () => {
    const index = flatVectorIndex().build(vectorTable([[1]], 1), { column: 'emb' });
    const controller = new AbortController();
    controller.abort();
    expect(() => index.persist({ signal: controller.signal })).toThrow(expect.objectContaining({ code: 'ABORTED' }));
    index.close();
    index.close();
    expect(() => index.probe(queryBatch([[1]], 1), 1)).toThrow(
      expect.objectContaining({ code: 'RESOURCE_CLOSED', kind: 'indexKind', key: 'flat-vector', step: 'probe' }),
    );
    expect(() => index.persist()).toThrow(expect.objectContaining({ code: 'RESOURCE_CLOSED' }));
    expect(() => index.vectors).toThrow(expect.objectContaining({ code: 'RESOURCE_CLOSED' }));
  });
});
