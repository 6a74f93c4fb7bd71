/**
 * Test data for the flat vector index: Arrow builders, fast-check arbitraries of vector sets with
 * duplicates and nulls, and a brute-force k-NN reference.
 */
import { fc } from '@fast-check/vitest';
import { Field, FixedSizeList, Float32, Float64, Table, vectorFromArray } from 'apache-arrow';
import type { RecordBatch } from 'apache-arrow';
import type { VectorMetric } from '../vectorMetric.js';

/** A vector column value: float32 components, or null. */
export type Row = number[] | null;

/** A table with one nullable `FixedSizeList<Float32>[dim]` column named `column`. */
export function vectorTable(rows: readonly Row[], dim: number, column = 'emb'): Table {
  const type = new FixedSizeList(dim, new Field('item', new Float32(), true));
  return new Table({ [column]: vectorFromArray(rows, type) });
}

/** A query batch with a `FixedSizeList<Float32|Float64>[dim]` column (default name `vector`). */
export function queryBatch(
  rows: readonly Row[],
  dim: number,
  options: { column?: string; float64?: boolean } = {},
): RecordBatch {
  const type = new FixedSizeList(
    dim,
    new Field('item', options.float64 === true ? new Float64() : new Float32(), true),
  );
  return new Table({ [options.column ?? 'vector']: vectorFromArray(rows, type) }).batches[0]!;
}

/** Generated vector data: indexed rows (with duplicates and nulls) and queries of the same dim. */
export interface VectorCase {
  readonly dim: number;
  readonly rows: Row[];
  readonly queries: Row[];
}

const component = fc.oneof(
  fc.constantFrom(0, 1, -1, 0.5, 2),
  fc.float({ min: -100, max: 100, noNaN: true, noDefaultInfinity: true }).map((x) => Math.fround(x)),
);

/** dims 1..16, 0..maxRows rows drawn from a small pool (so duplicates and distance ties are common). */
export function vectorCase(maxRows = 300): fc.Arbitrary<VectorCase> {
  return fc.integer({ min: 1, max: 16 }).chain((dim) => {
    const vec = fc.array(component, { minLength: dim, maxLength: dim });
    return fc
      .record({
        dim: fc.constant(dim),
        pool: fc.array(vec, { minLength: 1, maxLength: 40 }),
        picks: fc.array(fc.option(fc.nat(), { freq: 12 }), { maxLength: maxRows }),
        queries: fc.array(fc.option(vec, { freq: 10 }), { minLength: 1, maxLength: 4 }),
      })
      .map(({ dim: d, pool, picks, queries }) => ({
        dim: d,
        rows: picks.map((p) => (p === null ? null : [...pool[p % pool.length]!])),
        queries,
      }));
  });
}

/** Flat result columns as plain arrays. */
export interface KnnResult {
  readonly query: number[];
  readonly row: number[];
  readonly distance: number[];
}

/** The `query`, `row` and `distance` columns of a result batch. */
export function knnArrays(batch: RecordBatch): KnnResult {
  return {
    query: Array.from(batch.getChild('query')!.toArray() as Int32Array),
    row: Array.from(batch.getChild('row')!.toArray() as Int32Array),
    distance: Array.from(batch.getChild('distance')!.toArray() as Float32Array),
  };
}

/** Brute-force distance, in float64 then rounded to float32 (the index's documented arithmetic). */
function referenceDistance(metric: VectorMetric, a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let sq = 0;
  let na = 0;
  let nb = 0;
  for (let j = 0; j < a.length; j++) {
    const x = Math.fround(a[j]!);
    const y = Math.fround(b[j]!);
    dot += x * y;
    sq += (x - y) * (x - y);
    na += x * x;
    nb += y * y;
  }
  switch (metric) {
    case 'l2':
      return Math.fround(Math.sqrt(sq));
    case 'l2sq':
      return Math.fround(sq);
    case 'dot':
      return Math.fround(-dot);
    case 'cosine': {
      const scale = Math.sqrt(na) * Math.sqrt(nb);
      return Math.fround(scale === 0 ? 1 : Math.min(2, Math.max(0, 1 - dot / scale)));
    }
  }
}

/** Brute-force k-NN: every non-null row scored, sorted by (distance, row id), first `k` per query. */
export function referenceKnn(
  metric: VectorMetric,
  rows: readonly Row[],
  queries: readonly Row[],
  k: number,
): KnnResult {
  const out: KnnResult = { query: [], row: [], distance: [] };
  queries.forEach((q, qi) => {
    if (q === null || k <= 0) return;
    const scored = rows.flatMap((r, row) => (r === null ? [] : [{ row, d: referenceDistance(metric, r, q) }]));
    scored.sort((a, b) => a.d - b.d || a.row - b.row);
    for (const { row, d } of scored.slice(0, k)) {
      out.query.push(qi);
      out.row.push(row);
      out.distance.push(d);
    }
  });
  return out;
}
