import { Field, FixedSizeList, Float32, RecordBatch, Table, makeData } from 'apache-arrow';
import fc from 'fast-check';

/** Options of {@link vectorTables}. */
export interface VectorTableOptions {
  /** Vector dimensions (default 1..16). */
  readonly dims?: { readonly min: number; readonly max: number };
  /** Rows at most (default 200). */
  readonly maxRows?: number;
  /** Name of the vector column (default `embedding`). */
  readonly column?: string;
  /** Draw values from a small set so duplicates and ties occur (default true). */
  readonly ties?: boolean;
}

/** A FixedSizeList<Float32>[dim] column named `name` from row-major values. */
export function vectorBatch(name: string, dim: number, values: Float32Array): RecordBatch {
  const rows = values.length / dim;
  const child = makeData({ type: new Float32(), length: values.length, data: values });
  const type = new FixedSizeList(dim, new Field('item', new Float32(), false));
  return new RecordBatch({ [name]: makeData({ type, length: rows, nullCount: 0, child }) });
}

function floats(count: number, ties: boolean): fc.Arbitrary<Float32Array> {
  const value = ties
    ? fc.constantFrom(-2, -1, -0.5, 0, 0.5, 1, 2)
    : fc.float({ noNaN: true, noDefaultInfinity: true, min: -100, max: 100 });
  return fc.array(value, { minLength: count, maxLength: count }).map((xs) => Float32Array.from(xs));
}

/** Tables with one vector column (FixedSizeList<Float32>[dim]), and `dim` for making queries. */
export function vectorTables(options: VectorTableOptions = {}): fc.Arbitrary<{ table: Table; dim: number }> {
  const column = options.column ?? 'embedding';
  const dims = options.dims ?? { min: 1, max: 16 };
  return fc
    .record({ dim: fc.integer(dims), rows: fc.integer({ min: 0, max: options.maxRows ?? 200 }) })
    .chain(({ dim, rows }) =>
      floats(dim * rows, options.ties ?? true).map((values) => ({
        table: new Table(vectorBatch(column, dim, values)),
        dim,
      })),
    );
}

/** Query batches of `dim`-dimensional vectors in a column named `column` (default `vector`). */
export function vectorQueries(
  dim: number,
  options: { readonly column?: string; readonly maxRows?: number } = {},
): fc.Arbitrary<RecordBatch> {
  return fc
    .integer({ min: 1, max: options.maxRows ?? 5 })
    .chain((rows) => floats(rows * dim, false).map((values) => vectorBatch(options.column ?? 'vector', dim, values)));
}
