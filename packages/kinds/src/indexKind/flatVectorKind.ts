import type { CallOptions, IndexBuildOptions, IndexKindProvider } from '@baton/core';
import { DataType, Precision } from 'apache-arrow';
import type { Data, RecordBatch, Table } from 'apache-arrow';
import { corruptIndex, invalidIndexArgument, throwIfAborted } from './indexErrors.js';
import { checksum, META_CRC32, META_ROWS, metaInt, metaString, readIndexFile, verifyChecksum } from './indexFile.js';
import {
  FLAT_VECTOR_FORMAT_VERSION,
  FlatVectorIndex,
  META_DIM,
  META_METRIC,
  META_ROW_IDS,
  VECTOR_QUERY_COLUMN,
} from './flatVectorIndex.js';
import {
  DEFAULT_MAX_INDEX_BYTES,
  DEFAULT_MAX_PROBE_RESULTS,
  FLAT_VECTOR_KIND,
  MAX_INDEX_ROWS,
  MAX_VECTOR_DIM,
} from './indexLimits.js';
import { requireColumn } from './sourceColumn.js';
import { gatherVectors, vectorDim } from './vectorColumn.js';
import { isVectorMetric, vectorMetrics } from './vectorMetric.js';
import type { VectorMetric } from './vectorMetric.js';

/** Limits and checks of a flat vector index provider. */
export interface FlatVectorIndexKindOptions {
  /** Largest index data (vectors + row ids) `build` and `open` accept, checked before allocating. */
  readonly maxBytes?: number;
  /** Largest result a probe may produce (queries × k), checked before allocating. */
  readonly maxProbeResults?: number;
  /**
   * Verify the CRC-32 of the vector data on `open` (default true). One native pass over the
   * bytes; turn it off only when the bytes were already verified (e.g. read with `readChecked`).
   */
  readonly verifyChecksum?: boolean;
}

/** Build parameters of the flat vector index (`IndexBuildOptions.params`). */
export interface FlatVectorBuildParams {
  /** Distance metric (default `l2`). */
  readonly metric?: VectorMetric;
}

/** The flat vector index provider: an {@link IndexKindProvider} whose handles are {@link FlatVectorIndex}. */
export interface FlatVectorIndexKind extends IndexKindProvider {
  readonly kind: typeof FLAT_VECTOR_KIND;
  build(source: RecordBatch | Table, options: IndexBuildOptions): FlatVectorIndex;
  open(bytes: Uint8Array, options?: CallOptions): FlatVectorIndex;
}

/**
 * The flat vector index kind (`flat-vector`): exact k-nearest-neighbour search over a
 * `FixedSizeList<Float32>[dim]` column by full scan with a bounded heap, metrics `l2`, `l2sq`,
 * `cosine` and `dot` (see {@link vectorMetrics}).
 *
 * `build(source, { column, params: { metric } })` copies the column's vectors into one contiguous
 * Float32Array; rows whose vector is null or has a null or non-finite component are not indexed.
 * `persist()` writes an Arrow IPC file; `open(bytes)` validates it (kind, format version, metadata,
 * schema, sizes, CRC-32) and keeps a view over `bytes` when `bytes.byteOffset` is 4-byte aligned
 * (no copy; the caller must not modify `bytes` afterwards), copying once otherwise. Each call makes
 * an independent provider, as a new plugin version would.
 */
export function flatVectorIndexKind(options: FlatVectorIndexKindOptions = {}): FlatVectorIndexKind {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_INDEX_BYTES;
  const maxProbeResults = options.maxProbeResults ?? DEFAULT_MAX_PROBE_RESULTS;
  const verify = options.verifyChecksum ?? true;
  return {
    kind: FLAT_VECTOR_KIND,
    build(source: RecordBatch | Table, build: IndexBuildOptions): FlatVectorIndex {
      throwIfAborted(FLAT_VECTOR_KIND, 'build', build);
      const metric = buildMetric(build.params);
      const column = requireColumn(source, build.column, FLAT_VECTOR_KIND, 'build');
      const dim = vectorDim(column, FLAT_VECTOR_KIND, 'build', false);
      const gathered = gatherVectors(column, dim, maxBytes, FLAT_VECTOR_KIND);
      const views = gathered.rowIds === undefined ? [gathered.vectors] : [gathered.vectors, gathered.rowIds];
      return new FlatVectorIndex({ ...gathered, metric, crc32: checksum(views), maxProbeResults });
    },
    open(bytes: Uint8Array, call?: CallOptions): FlatVectorIndex {
      throwIfAborted(FLAT_VECTOR_KIND, 'open', call);
      const file = readIndexFile(bytes, {
        kind: FLAT_VECTOR_KIND,
        versions: [FLAT_VECTOR_FORMAT_VERSION],
        maxBytes,
        align: 4,
      });
      const fail = (reason: string): Error => corruptIndex(FLAT_VECTOR_KIND, reason);
      const { schema, batch } = file;
      const metric = metaString(schema, META_METRIC, FLAT_VECTOR_KIND);
      if (!isVectorMetric(metric)) throw fail(`unknown metric ${JSON.stringify(metric.slice(0, 40))}`);
      const dim = metaInt(schema, META_DIM, MAX_VECTOR_DIM, FLAT_VECTOR_KIND);
      const count = metaInt(schema, META_ROWS, MAX_INDEX_ROWS, FLAT_VECTOR_KIND);
      const layout = metaString(schema, META_ROW_IDS, FLAT_VECTOR_KIND);
      if (dim < 1) throw fail('metadata dim is 0');
      if (layout !== 'dense' && layout !== 'sparse')
        throw fail(`unknown row-id layout ${JSON.stringify(layout.slice(0, 40))}`);
      const sparse = layout === 'sparse';
      const dataBytes = count * dim * 4 + (sparse ? count * 4 : 0);
      if (dataBytes > maxBytes) throw fail(`the index holds ${dataBytes} bytes, over the limit of ${maxBytes}`);
      const names = schema.fields.map((f) => f.name).join(',');
      if (names !== (sparse ? `${VECTOR_QUERY_COLUMN},row` : VECTOR_QUERY_COLUMN))
        throw fail(`unexpected columns [${names}] for a ${layout} index`);
      if (batch.numRows !== count) throw fail(`metadata says ${count} rows, the batch has ${batch.numRows}`);
      const vectors = readVectors(batch.data.children[0], dim, count, fail);
      const rowIds = sparse ? readRowIds(batch.data.children[1], count, fail) : undefined;
      const views = rowIds === undefined ? [vectors] : [vectors, rowIds];
      const crc32 = verify
        ? verifyChecksum(schema, views, FLAT_VECTOR_KIND)
        : metaInt(schema, META_CRC32, 0xffffffff, FLAT_VECTOR_KIND);
      return new FlatVectorIndex({ metric, dim, count, vectors, rowIds, crc32, maxProbeResults });
    },
  };
}

function buildMetric(params: Readonly<Record<string, unknown>> | undefined): VectorMetric {
  if (params === undefined) return 'l2';
  if (typeof params !== 'object' || params === null)
    throw invalidIndexArgument(FLAT_VECTOR_KIND, 'build', 'params must be an object');
  const unknown = Object.keys(params).filter((key) => key !== 'metric');
  if (unknown.length > 0)
    throw invalidIndexArgument(FLAT_VECTOR_KIND, 'build', `unknown params ${unknown.join(', ')} (known: metric)`);
  const metric = params['metric'] ?? 'l2';
  if (!isVectorMetric(metric))
    throw invalidIndexArgument(
      FLAT_VECTOR_KIND,
      'build',
      `unknown metric ${JSON.stringify(metric)} (known: ${vectorMetrics.join(', ')})`,
    );
  return metric;
}

/** The vector data of an opened file: a view over the input, after checking type, nulls and size. */
function readVectors(
  data: Data | undefined,
  dim: number,
  count: number,
  fail: (reason: string) => Error,
): Float32Array {
  const type = data?.type;
  if (data === undefined || type === undefined || !DataType.isFixedSizeList(type) || type.listSize !== dim) {
    throw fail(`the vector column is not FixedSizeList[${dim}]`);
  }
  const child = data.children[0];
  const childType = child?.type;
  if (
    child === undefined ||
    childType === undefined ||
    !DataType.isFloat(childType) ||
    childType.precision !== Precision.SINGLE
  ) {
    throw fail('the vector column does not hold Float32');
  }
  if (data.length !== count || data.nullCount !== 0 || child.nullCount !== 0)
    throw fail('the vector column has nulls or a wrong length');
  const values: unknown = child.values;
  if (!(values instanceof Float32Array) || values.length < count * dim)
    throw fail(`the vector data is shorter than ${count} × ${dim} floats`);
  return values.length === count * dim ? values : values.subarray(0, count * dim);
}

function readRowIds(data: Data | undefined, count: number, fail: (reason: string) => Error): Uint32Array {
  const type = data?.type;
  if (data === undefined || type === undefined || !DataType.isInt(type) || type.bitWidth !== 32 || type.isSigned)
    throw fail('the row column is not Uint32');
  const values: unknown = data.values;
  if (data.length !== count || data.nullCount !== 0 || !(values instanceof Uint32Array) || values.length < count)
    throw fail('the row column has nulls or a wrong length');
  return values.length === count ? values : values.subarray(0, count);
}
