import type { TopK } from './topK.js';

/**
 * Distance metrics of the flat vector index. Smaller is nearer for all of them:
 * - `l2`: Euclidean distance `sqrt(Σ (a-b)²)`;
 * - `l2sq`: squared Euclidean distance `Σ (a-b)²`;
 * - `cosine`: `1 - a·b / (|a| |b|)`, clamped to `[0, 2]`; `1` when either vector is all zeros;
 * - `dot`: negative inner product `-(a·b)` (maximum inner product search).
 *
 * Sums are computed in float64; the reported (and ranked) distance is that value rounded to float32,
 * so ties in the output are exactly the ties the ranking broke by row id.
 */
export const vectorMetrics = ['l2', 'l2sq', 'cosine', 'dot'] as const;

/** One of {@link vectorMetrics}: a distance metric of the flat vector index. */
export type VectorMetric = (typeof vectorMetrics)[number];

/** True when `value` names a {@link VectorMetric}. */
export function isVectorMetric(value: unknown): value is VectorMetric {
  return typeof value === 'string' && (vectorMetrics as readonly string[]).includes(value);
}

/** What one scan over the indexed vectors needs. */
export interface ScanTarget {
  /** `count * dim` floats, row-major. */
  readonly vectors: Float32Array;
  readonly dim: number;
  readonly count: number;
  /** Row id of each indexed vector; absent when the row id is the position. */
  readonly rowIds: Uint32Array | undefined;
}

/** A query vector: `dim` floats of `values` starting at `offset`. */
export interface QueryVector {
  readonly values: Float32Array | Float64Array;
  readonly offset: number;
}

/** Euclidean norms of the indexed vectors (float64), used by the cosine metric. */
export function vectorNorms(target: ScanTarget): Float64Array {
  const { vectors, dim, count } = target;
  const norms = new Float64Array(count);
  for (let i = 0, base = 0; i < count; i++, base += dim) {
    let sum = 0;
    for (let j = 0; j < dim; j++) {
      const x = vectors[base + j]!;
      sum += x * x;
    }
    norms[i] = Math.sqrt(sum);
  }
  return norms;
}

/** Offers every indexed vector's distance to `query` under `metric` to `top`. */
export function scanVectors(
  metric: VectorMetric,
  target: ScanTarget,
  query: QueryVector,
  top: TopK,
  norms: Float64Array | undefined,
): void {
  switch (metric) {
    case 'l2': {
      scanL2(target, query, top, true);
      return;
    }
    case 'l2sq': {
      scanL2(target, query, top, false);
      return;
    }
    case 'cosine': {
      scanInner(target, query, top, norms);
      return;
    }
    case 'dot': {
      scanInner(target, query, top, undefined);
      return;
    }
  }
}

function scanL2(target: ScanTarget, query: QueryVector, top: TopK, root: boolean): void {
  const { vectors, dim, count, rowIds } = target;
  const q = query.values;
  const qo = query.offset;
  for (let i = 0, base = 0; i < count; i++, base += dim) {
    let sum = 0;
    for (let j = 0; j < dim; j++) {
      const diff = vectors[base + j]! - q[qo + j]!;
      sum += diff * diff;
    }
    top.offer(Math.fround(root ? Math.sqrt(sum) : sum), rowIds === undefined ? i : rowIds[i]!);
  }
}

/** Cosine when `norms` is given, negative dot product otherwise. */
function scanInner(target: ScanTarget, query: QueryVector, top: TopK, norms: Float64Array | undefined): void {
  const { vectors, dim, count, rowIds } = target;
  const q = query.values;
  const qo = query.offset;
  let queryNorm = 0;
  if (norms !== undefined) {
    for (let j = 0; j < dim; j++) queryNorm += q[qo + j]! * q[qo + j]!;
    queryNorm = Math.sqrt(queryNorm);
  }
  for (let i = 0, base = 0; i < count; i++, base += dim) {
    let dot = 0;
    for (let j = 0; j < dim; j++) dot += vectors[base + j]! * q[qo + j]!;
    let distance: number;
    if (norms === undefined) {
      distance = -dot;
    } else {
      const scale = queryNorm * norms[i]!;
      distance = scale === 0 ? 1 : Math.min(2, Math.max(0, 1 - dot / scale));
    }
    top.offer(Math.fround(distance), rowIds === undefined ? i : rowIds[i]!);
  }
}
