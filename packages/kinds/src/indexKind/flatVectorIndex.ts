import type { CallOptions, IndexBuildOptions, IndexKindProvider, IndexSnapshot } from '@baton/core';
import type { RecordBatch, Table } from 'apache-arrow';
import { readFlatVectorFormat1 } from './flatVectorFormat1.js';
import { readFlatVectorFormat2 } from './flatVectorFormat2.js';
import { FlatVectorIndexHandle } from './flatVectorIndexHandle.js';
import { readFlatVectorSnapshot } from './flatVectorSnapshot.js';
import { invalidIndexArgument, throwIfAborted } from './indexErrors.js';
import { checkIndexSize, checksum, verifyStoredChecksum } from './indexFile.js';
import { frameLayout, LAYOUT_RAW } from './indexFrame.js';
import { describeArgument } from '../codec/describeArgument.js';
import { checkBuildOptions, indexOptions, invalidIndexOption } from './indexArguments.js';
import { FLAT_VECTOR_KIND } from './indexLimits.js';
import { requireColumn } from './sourceColumn.js';
import { gatherVectors, vectorDim } from './vectorColumn.js';
import { isVectorMetric, vectorMetrics } from './vectorMetric.js';
import type { VectorMetric } from './vectorMetric.js';

/** Options of {@link flatVectorIndex}: limits, checks and the persisted format. */
export interface FlatVectorIndexOptions {
  /** Largest index data (vectors + row ids) `build` and `open` accept, checked before allocating. */
  readonly maxBytes?: number;
  /** Largest result a probe may produce (queries × k), checked before allocating. */
  readonly maxProbeResults?: number;
  /**
   * Verify the CRC-32 of the vector data on `open` (default true). One native pass over the
   * bytes; turn it off only when the bytes were already verified (e.g. read with `readChecked`).
   */
  readonly verifyChecksum?: boolean;
  /**
   * The format `persist` writes: 2 (default; a checksummed header and the raw vectors) or 1 (an
   * Arrow IPC file, what versions before format 2 read). `open` reads both whatever this says;
   * write 1 only while a version that reads nothing else may still take the index over.
   */
  readonly format?: 1 | 2;
}

/** Build parameters of the flat vector index (`IndexBuildOptions.params`). */
export interface FlatVectorBuildParams {
  /** Distance metric (default `l2`). */
  readonly metric?: VectorMetric;
}

/** The flat vector index provider: an {@link IndexKindProvider} whose handles are {@link FlatVectorIndexHandle}. */
export interface FlatVectorIndexProvider extends IndexKindProvider {
  readonly kind: typeof FLAT_VECTOR_KIND;
  build(source: RecordBatch | Table, options: IndexBuildOptions): FlatVectorIndexHandle;
  open(bytes: Uint8Array, options?: CallOptions): FlatVectorIndexHandle;
  /**
   * A handle sharing the buffers of another version's `flat-vector/2` snapshot (no copy, no CRC pass);
   * `undefined` for a layout this version does not read; `INVALID_ARGUMENT` for a malformed snapshot
   * or one of another kind; `ABORTED` for an aborted signal.
   */
  adopt(snapshot: IndexSnapshot, options?: CallOptions): FlatVectorIndexHandle | undefined;
}

/**
 * The flat vector index kind (`flat-vector`): exact k-nearest-neighbour search over a
 * `FixedSizeList<Float32>[dim]` column by full scan with a bounded heap, metrics `l2`, `l2sq`,
 * `cosine` and `dot` (see {@link VectorMetric}).
 *
 * `build(source, { column, params: { metric } })` copies the column's vectors into one contiguous
 * Float32Array; rows whose vector is null or has a null or non-finite component are not indexed.
 * `persist()` writes format 2 (a checksummed header, then the vectors and row ids as they lie in
 * memory) or, with `format: 1`, an Arrow IPC file; `open(bytes)` reads either, validates it
 * (kind, format version, header or metadata, sizes, CRC-32) and keeps a view over `bytes` when it is
 * 4-byte aligned (no copy; the caller must not modify `bytes` afterwards), copying once otherwise.
 * `adopt(snapshot)` takes over another version's {@link FlatVectorIndexHandle.snapshot} (layout
 * `flat-vector/2`) in this process: the new handle shares its vectors, row ids and cosine norms (no
 * copy, no CRC pass, O(1)) and persists to the same bytes, in this provider's format. The snapshot's
 * shape is checked strictly — a malformed one, or one of another kind, is `INVALID_ARGUMENT` (a
 * snapshot is an argument handed over in-process, not bytes read from outside); a flat-vector
 * snapshot of a layout this version does not read answers `undefined`, so the host persists and opens.
 * Each call makes an independent provider, as a new plugin version would. Wrong options (not an
 * object, an unknown one, a limit that is not a safe integer, a `format` other than 1 or 2) are
 * `INVALID_ARGUMENT`.
 */
export function flatVectorIndex(options?: FlatVectorIndexOptions): FlatVectorIndexProvider {
  const { maxBytes, maxProbeResults, verify, given } = indexOptions(FLAT_VECTOR_KIND, options, ['format']);
  const persistFormat = given['format'] ?? 2;
  if (persistFormat !== 1 && persistFormat !== 2)
    throw invalidIndexOption(FLAT_VECTOR_KIND, `format must be 1 or 2, not ${describeArgument(persistFormat)}`);
  return {
    kind: FLAT_VECTOR_KIND,
    build(source: RecordBatch | Table, build: IndexBuildOptions): FlatVectorIndexHandle {
      checkBuildOptions(FLAT_VECTOR_KIND, build);
      throwIfAborted(FLAT_VECTOR_KIND, 'build', build);
      const metric = buildMetric(build.params);
      const column = requireColumn(source, build.column, FLAT_VECTOR_KIND, 'build');
      const dim = vectorDim(column, FLAT_VECTOR_KIND, 'build', false);
      const gathered = gatherVectors(column, dim, maxBytes, FLAT_VECTOR_KIND);
      const views = gathered.rowIds === undefined ? [gathered.vectors] : [gathered.vectors, gathered.rowIds];
      return FlatVectorIndexHandle.create({
        ...gathered,
        metric,
        crc32: checksum(views),
        maxProbeResults,
        persistFormat,
      });
    },
    open(bytes: Uint8Array, call?: CallOptions): FlatVectorIndexHandle {
      throwIfAborted(FLAT_VECTOR_KIND, 'open', call);
      checkIndexSize(bytes, maxBytes, FLAT_VECTOR_KIND);
      const data =
        frameLayout(bytes, FLAT_VECTOR_KIND) === LAYOUT_RAW
          ? readFlatVectorFormat2(bytes, maxBytes)
          : readFlatVectorFormat1(bytes, maxBytes);
      if (verify)
        verifyStoredChecksum(
          data.crc32,
          data.rowIds === undefined ? [data.vectors] : [data.vectors, data.rowIds],
          FLAT_VECTOR_KIND,
        );
      return FlatVectorIndexHandle.create({ ...data, maxProbeResults, persistFormat });
    },
    adopt(snapshot: IndexSnapshot, call?: CallOptions): FlatVectorIndexHandle | undefined {
      throwIfAborted(FLAT_VECTOR_KIND, 'adopt', call);
      const data = readFlatVectorSnapshot(snapshot, maxBytes);
      if (data === undefined) return undefined;
      const { norms, ...index } = data;
      return FlatVectorIndexHandle.create({ ...index, maxProbeResults, persistFormat }, norms);
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
