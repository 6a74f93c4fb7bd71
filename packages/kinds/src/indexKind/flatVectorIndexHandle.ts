import type { CallOptions, IndexHandle, IndexSnapshot } from '@baton/core';
import type { Data, FixedSizeList, RecordBatch, Vector } from 'apache-arrow';
import { writeFlatVectorFormat1 } from './flatVectorFormat1.js';
import { writeFlatVectorFormat2 } from './flatVectorFormat2.js';
import type { FlatVectorIndexState } from './flatVectorData.js';
import { flatVectorSnapshot } from './flatVectorSnapshot.js';
import { checkHandleState, isFlatVectorState } from './indexArguments.js';
import { checkK, closedIndex, invalidIndexArgument, throwIfAborted } from './indexErrors.js';
import { FLAT_VECTOR_KIND, VECTOR_QUERY_COLUMN } from './indexLimits.js';
import { isTypedArray } from './indexSnapshot.js';
import { resultBatch, vectorResultSchema } from './resultBatch.js';
import { requireColumn } from './sourceColumn.js';
import { TopK } from './topK.js';
import { vectorDim } from './vectorColumn.js';
import { scanVectors, vectorNorms } from './vectorMetric.js';
import type { VectorMetric } from './vectorMetric.js';

/**
 * An open flat (exact, brute-force) k-NN index over float32 vectors, held in one contiguous
 * row-major Float32Array. Each probe scans every vector once per query row, keeping the best `k`
 * in a bounded heap. For `cosine`, the vector norms are computed once, on the first probe (so
 * `open` does no per-vector work), and cached. Read-only: probes never change what later probes
 * answer. Made by {@link flatVectorIndex}.
 */
export class FlatVectorIndexHandle implements IndexHandle {
  #state: FlatVectorIndexState | undefined;
  #norms: Float64Array | undefined;

  /**
   * @internal The kind's own way to make one (providers, formats, tests). `norms`, when given, are
   * the cosine norms of `state`'s vectors (an adopted snapshot's), shared rather than recomputed.
   */
  static create(state: FlatVectorIndexState, norms?: Float64Array): FlatVectorIndexHandle {
    return new FlatVectorIndexHandle(state, norms);
  }

  /**
   * An index over `state` (used by the provider's build, open and adopt; a state they would not make is
   * `INVALID_ARGUMENT`). Use a provider (`flatVectorIndex().build`, `open`, `adopt`).
   */
  private constructor(state: FlatVectorIndexState, norms?: Float64Array) {
    checkHandleState(
      FLAT_VECTOR_KIND,
      'FlatVectorIndexHandle',
      isFlatVectorState(state) &&
        (norms === undefined || (isTypedArray(norms, 'Float64Array') && norms.length === state.count)),
    );
    this.#state = state;
    this.#norms = norms;
  }

  /** The distance metric. */
  get metric(): VectorMetric {
    return this.#open('metric').metric;
  }

  /** The vector dimension. */
  get dim(): number {
    return this.#open('dim').dim;
  }

  /** How many vectors are indexed (source rows with a null or non-finite vector are not). */
  get size(): number {
    return this.#open('size').count;
  }

  /**
   * The indexed vectors, row-major (`size * dim` floats). Read-only by contract: do not write to it.
   * After `open` of aligned bytes this is a view over the input's ArrayBuffer (no copy was made).
   */
  get vectors(): Float32Array {
    return this.#open('vectors').vectors;
  }

  /** Source row id of each indexed vector, or `undefined` when it is the vector's position. */
  get rowIds(): Uint32Array | undefined {
    return this.#open('rowIds').rowIds;
  }

  /**
   * For each row of the query batch's `vector` column (`FixedSizeList<Float32|Float64>[dim]`; a
   * batch with a single column may name it anything), the `k` nearest indexed rows: columns
   * `query` (Int32, the query row), `row` (Int32, the source row id) and `distance` (Float32),
   * ordered by query row, then ascending distance, then row id. `k <= 0` gives no rows; `k` above
   * the index size gives every row. A null query vector matches nothing; a query vector with a
   * null or non-finite component, or of another dimension, is `INVALID_ARGUMENT`.
   */
  probe(query: RecordBatch, k: number): RecordBatch {
    const state = this.#open('probe');
    checkK(FLAT_VECTOR_KIND, k);
    const column = queryColumn(query);
    const dim = vectorDim(column, FLAT_VECTOR_KIND, 'probe', true);
    if (dim !== state.dim)
      throw invalidIndexArgument(
        FLAT_VECTOR_KIND,
        'probe',
        `query vectors have dimension ${dim}, the index has ${state.dim}`,
      );
    const perQuery = k <= 0 ? 0 : Math.min(k, state.count);
    const bound = column.length * perQuery;
    if (bound > state.maxProbeResults) {
      throw invalidIndexArgument(
        FLAT_VECTOR_KIND,
        'probe',
        `${column.length} queries × k=${perQuery} could give ${bound} rows, over the limit of ${state.maxProbeResults}`,
      );
    }
    const queries = new Int32Array(bound);
    const rows = new Int32Array(bound);
    const distances = new Float32Array(bound);
    let written = 0;
    if (perQuery > 0) {
      if (state.metric === 'cosine') this.#norms ??= vectorNorms(state);
      const top = new TopK(perQuery);
      let queryRow = 0;
      for (const data of column.data as Data<FixedSizeList>[]) {
        const child = data.children[0];
        const values = child?.values as Float32Array | Float64Array | undefined;
        for (let i = 0; i < data.length; i++, queryRow++) {
          if (child === undefined || values === undefined || !data.getValid(i)) continue;
          checkQueryVector(child, values, i * dim, dim, queryRow);
          scanVectors(state.metric, state, { values, offset: i * dim }, top, this.#norms);
          const count = top.drainSorted(rows, distances, written);
          queries.fill(queryRow, written, written + count);
          written += count;
        }
      }
    }
    return resultBatch(vectorResultSchema, [queries, rows, distances], written);
  }

  /**
   * Serialises the index in its provider's `format`: format 2 (the default) is a checksummed
   * header followed by the vectors and row ids as they lie in memory; format 1 is an Arrow IPC file.
   * Either way the vector bytes are copied once, into the output, and `open` of any provider reads both.
   */
  persist(options?: CallOptions): Uint8Array {
    const state = this.#open('persist');
    throwIfAborted(FLAT_VECTOR_KIND, 'persist', options);
    return state.persistFormat === 1 ? writeFlatVectorFormat1(state) : writeFlatVectorFormat2(state);
  }

  /**
   * The index as it lies in memory, layout `flat-vector/2` (see `flatVectorSnapshot.ts`), for the
   * next version's `flatVectorIndex().adopt` in this process: the vectors, the row ids when sparse
   * and the cosine norms when a probe has computed them, shared (no copy), with the metric, dim,
   * count and the CRC-32 computed at build or open in `meta`. O(1): no pass over the data. Neither
   * side writes to the buffers afterwards; `close()` of this handle drops only its own references,
   * so an adopted handle keeps answering. An aborted `options.signal` is `ABORTED`.
   */
  snapshot(options?: CallOptions): IndexSnapshot {
    const state = this.#open('snapshot');
    throwIfAborted(FLAT_VECTOR_KIND, 'snapshot', options);
    return flatVectorSnapshot({ ...state, norms: this.#norms });
  }

  /**
   * Releases this handle's references to the vectors (and norms). Idempotent; every later call
   * throws `RESOURCE_CLOSED`. A handle adopted from its snapshot holds its own references and keeps working.
   */
  close(): void {
    this.#state = undefined;
    this.#norms = undefined;
  }

  #open(step: string): FlatVectorIndexState {
    if (this.#state === undefined) throw closedIndex(FLAT_VECTOR_KIND, step);
    return this.#state;
  }
}

function queryColumn(query: RecordBatch): Vector {
  const fields = (query as Partial<RecordBatch> | null)?.schema?.fields;
  const sole = fields?.length === 1 ? fields[0]!.name : undefined;
  const hasVector = fields?.some((f) => f.name === VECTOR_QUERY_COLUMN) === true;
  return requireColumn(query, hasVector || sole === undefined ? VECTOR_QUERY_COLUMN : sole, FLAT_VECTOR_KIND, 'probe');
}

function checkQueryVector(
  child: Data,
  values: Float32Array | Float64Array,
  base: number,
  dim: number,
  queryRow: number,
): void {
  for (let j = 0; j < dim; j++) {
    const x = values[base + j]!;
    if (x - x !== 0 || (child.nullCount !== 0 && !child.getValid(base + j))) {
      throw invalidIndexArgument(
        FLAT_VECTOR_KIND,
        'probe',
        `query row ${queryRow} has a null or non-finite component at ${j}`,
      );
    }
  }
}
