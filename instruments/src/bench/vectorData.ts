import { Field, FixedSizeList, Float32, makeData, RecordBatch, Schema, Struct, Table } from 'apache-arrow';

/** The column name of the generated vector tables. */
export const VECTOR_COLUMN = 'embedding';

let pool: Float32Array | undefined;

/**
 * `count` pseudo-random floats in [-1, 1), deterministic (a xorshift generator), shared between
 * callers: every table is a view over one pool, so a bench that needs 256 MB of vectors generates
 * them once.
 */
export function randomFloats(count: number): Float32Array {
  if (pool === undefined || pool.length < count) {
    const next = new Float32Array(count);
    let x = 0x9e3779b9;
    for (let i = 0; i < count; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      next[i] = (x >>> 8) / 8388608 - 1;
    }
    pool = next;
  }
  return pool.subarray(0, count);
}

/** Frees the shared pool (the next call of {@link randomFloats} generates it again). */
export function releaseFloats(): void {
  pool = undefined;
}

/**
 * A one-column table of `rows` vectors of `dim` float32 components (`FixedSizeList<Float32>[dim]`,
 * non-null), over the shared pool: no copy is made here (an index build copies it).
 */
export function vectorTable(rows: number, dim: number): Table {
  const values = randomFloats(rows * dim);
  const listType = new FixedSizeList(dim, new Field('item', new Float32(), false));
  const child = makeData({ type: new Float32(), length: rows * dim, nullCount: 0, data: values });
  const column = makeData({ type: listType, length: rows, nullCount: 0, child });
  const schema = new Schema([new Field(VECTOR_COLUMN, listType, false)]);
  const struct = makeData({ type: new Struct(schema.fields), length: rows, nullCount: 0, children: [column] });
  return new Table([new RecordBatch(schema, struct)]);
}

/** A query batch of `count` vectors (column `vector`), for probes. */
export function queryBatch(count: number, dim: number): RecordBatch {
  const values = randomFloats(count * dim).slice();
  const listType = new FixedSizeList(dim, new Field('item', new Float32(), false));
  const child = makeData({ type: new Float32(), length: count * dim, nullCount: 0, data: values });
  const column = makeData({ type: listType, length: count, nullCount: 0, child });
  const schema = new Schema([new Field('vector', listType, false)]);
  const struct = makeData({ type: new Struct(schema.fields), length: count, nullCount: 0, children: [column] });
  return new RecordBatch(schema, struct);
}

/** Rows of `dim`-dimensional float32 vectors that take `megabytes` MiB. */
export function rowsFor(megabytes: number, dim: number): number {
  return Math.round((megabytes * 2 ** 20) / (dim * 4));
}
