import { DataType, Precision } from 'apache-arrow';
import type { Data, FixedSizeList, Vector } from 'apache-arrow';
import { invalidIndexArgument, typeName } from './indexErrors.js';
import { MAX_INDEX_ROWS, MAX_VECTOR_DIM } from './indexLimits.js';

/** Vectors gathered from a source column into one contiguous row-major Float32Array. */
export interface GatheredVectors {
  readonly vectors: Float32Array;
  readonly dim: number;
  readonly count: number;
  /** Source row id of each gathered vector; absent when every source row was gathered. */
  readonly rowIds: Uint32Array | undefined;
}

/**
 * The dimension of a `FixedSizeList<Float32>` (or, when `allowFloat64`, `FixedSizeList<Float64>`)
 * vector column; `INVALID_ARGUMENT` for any other type.
 */
export function vectorDim(vector: Vector, kind: string, step: 'build' | 'probe', allowFloat64: boolean): number {
  const type = vector.type as DataType;
  const wanted = allowFloat64 ? 'FixedSizeList<Float32 or Float64>' : 'FixedSizeList<Float32>';
  if (!DataType.isFixedSizeList(type))
    throw invalidIndexArgument(kind, step, `the vector column must be ${wanted}, got ${typeName(type)}`);
  const child: unknown = type.children[0]?.type;
  const precision = DataType.isFloat(child) ? child.precision : undefined;
  if (precision !== Precision.SINGLE && !(allowFloat64 && precision === Precision.DOUBLE)) {
    throw invalidIndexArgument(kind, step, `the vector column must be ${wanted}, got ${typeName(type)}`);
  }
  const dim = type.listSize;
  if (!Number.isInteger(dim) || dim < 1 || dim > MAX_VECTOR_DIM)
    throw invalidIndexArgument(kind, step, `vector dimension ${dim} is outside 1..${MAX_VECTOR_DIM}`);
  return dim;
}

/**
 * Copies the indexable vectors of `vector` (a `FixedSizeList<Float32>[dim]` column) into one
 * contiguous Float32Array. Rows whose vector is null, has a null component, or has a non-finite
 * component (NaN, ±Infinity) are not indexed; `rowIds` then records which source rows were. The
 * output size is checked against `maxBytes` before anything is allocated.
 */
export function gatherVectors(vector: Vector, dim: number, maxBytes: number, kind: string): GatheredVectors {
  const rows = vector.length;
  if (rows > MAX_INDEX_ROWS)
    throw invalidIndexArgument(kind, 'build', `${rows} rows exceed the limit of ${MAX_INDEX_ROWS}`);
  const upper = rows - vector.nullCount;
  const bytes = upper * dim * 4 + (upper < rows ? upper * 4 : 0);
  if (bytes > maxBytes)
    throw invalidIndexArgument(kind, 'build', `the index would hold ${bytes} bytes, over the limit of ${maxBytes}`);
  const vectors = new Float32Array(upper * dim);
  const rowIds = new Uint32Array(upper);
  let count = 0;
  let sourceRow = 0;
  for (const data of vector.data as Data<FixedSizeList>[]) {
    count = gatherChunk(data, dim, vectors, rowIds, count, sourceRow);
    sourceRow += data.length;
  }
  return {
    vectors: count === upper ? vectors : vectors.subarray(0, count * dim),
    dim,
    count,
    rowIds: count === rows ? undefined : rowIds.subarray(0, count),
  };
}

function gatherChunk(
  data: Data<FixedSizeList>,
  dim: number,
  out: Float32Array,
  rowIds: Uint32Array,
  count: number,
  firstRow: number,
): number {
  const child = data.children[0];
  if (child === undefined) return count;
  const values = child.values as Float32Array;
  const checkRows = data.nullCount !== 0;
  const checkComponents = child.nullCount !== 0;
  for (let i = 0; i < data.length; i++) {
    if (checkRows && !data.getValid(i)) continue;
    const base = i * dim;
    const write = count * dim;
    let bad = false;
    for (let j = 0; j < dim; j++) {
      const x = values[base + j]!;
      out[write + j] = x;
      // x - x is NaN for NaN and ±Infinity, 0 for every finite x.
      if (x - x !== 0) bad = true;
    }
    if (checkComponents) for (let j = 0; j < dim && !bad; j++) bad = !child.getValid(base + j);
    if (bad) continue;
    rowIds[count++] = firstRow + i;
  }
  return count;
}
