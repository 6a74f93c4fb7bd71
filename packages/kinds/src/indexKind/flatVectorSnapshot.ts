/**
 * Layout `flat-vector/2` of a flat vector index snapshot: the in-memory form of a handle, handed to
 * the next version's provider in the same process without a copy (see `IndexSnapshot` of
 * `@baton/core`).
 *
 * - `meta`: exactly `{ metric, dim, count, crc32, rowIds, norms }` — `metric` one of
 *   `vectorMetrics`, `dim` an integer in 1..65536, `count` an integer in 0..2^31-1, `crc32` the
 *   CRC-32 of the vector bytes then the row-id bytes (computed at build or open, carried so a persist
 *   of the adopted handle writes the same bytes), `rowIds` `'dense'` or `'sparse'`, `norms` a boolean;
 * - `buffers`: the vectors (`Float32Array`, `count × dim`, row-major), then the row ids
 *   (`Uint32Array`, `count`) when `rowIds` is `'sparse'`, then the cosine norms (`Float64Array`,
 *   `count`: the float64 Euclidean norm of each vector) when `norms` is true.
 *
 * Nothing else: a field or buffer more is another layout. Nothing is copied or verified (no CRC
 * pass); the shape is, strictly, and the data limit of the adopting provider applies as on `open`.
 */
import type { IndexSnapshot } from '@baton/core';
import type { FlatVectorData } from './flatVectorData.js';
import { describeArgument } from '../codec/describeArgument.js';
import { FLAT_VECTOR_KIND, MAX_INDEX_ROWS, MAX_VECTOR_DIM } from './indexLimits.js';
import { checkMetaKeys, invalidSnapshot, snapshotParts, typedArrayName } from './indexSnapshot.js';
import { isVectorMetric, vectorMetrics } from './vectorMetric.js';

/** The layout name of a flat vector index snapshot (see the module comment). */
const FLAT_VECTOR_SNAPSHOT_LAYOUT = 'flat-vector/2';
const META_KEYS = ['metric', 'dim', 'count', 'crc32', 'rowIds', 'norms'] as const;

/** A flat vector index as a snapshot carries it: its data and, when computed, its cosine norms. */
export interface FlatVectorSnapshotData extends FlatVectorData {
  readonly norms: Float64Array | undefined;
}

/** The `flat-vector/2` snapshot of `data`, sharing its buffers (frozen: neither side can swap a part). */
export function flatVectorSnapshot(data: FlatVectorSnapshotData): IndexSnapshot {
  const { metric, dim, count, crc32, vectors, rowIds, norms } = data;
  const buffers: ArrayBufferView[] = [vectors];
  if (rowIds !== undefined) buffers.push(rowIds);
  if (norms !== undefined) buffers.push(norms);
  const meta = {
    metric,
    dim,
    count,
    crc32,
    rowIds: rowIds === undefined ? 'dense' : 'sparse',
    norms: norms !== undefined,
  };
  return Object.freeze({
    kind: FLAT_VECTOR_KIND,
    layout: FLAT_VECTOR_SNAPSHOT_LAYOUT,
    meta: Object.freeze(meta),
    buffers: Object.freeze(buffers),
    byteLength: buffers.reduce((sum, view) => sum + view.byteLength, 0),
  });
}

/**
 * The data of a `flat-vector/2` snapshot, its buffers shared; `undefined` for a flat vector
 * snapshot of another layout. A snapshot of another kind, or of this layout with a wrong shape
 * (a meta field missing, unknown, of the wrong type or out of range; a buffer missing, extra, of
 * the wrong type or length; data over `maxBytes`), is `INVALID_ARGUMENT`.
 */
export function readFlatVectorSnapshot(snapshot: unknown, maxBytes: number): FlatVectorSnapshotData | undefined {
  const parts = snapshotParts(snapshot, FLAT_VECTOR_KIND, FLAT_VECTOR_SNAPSHOT_LAYOUT);
  if (parts === undefined) return undefined;
  const fail = (reason: string): Error => invalidSnapshot(FLAT_VECTOR_KIND, reason);
  const { meta, buffers } = parts;
  checkMetaKeys(FLAT_VECTOR_KIND, meta, META_KEYS);
  const { metric, dim, count, crc32, rowIds: layout, norms: hasNorms } = meta;
  const integer = (name: string, value: unknown, min: number, max: number): number => {
    if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max)
      throw fail(`meta.${name} must be an integer in ${min}..${max}, not ${describeArgument(value)}`);
    return value as number;
  };
  if (!isVectorMetric(metric))
    throw fail(`meta.metric ${describeArgument(metric)} is not a known metric (${vectorMetrics.join(', ')})`);
  const d = integer('dim', dim, 1, MAX_VECTOR_DIM);
  const n = integer('count', count, 0, MAX_INDEX_ROWS);
  const crc = integer('crc32', crc32, 0, 0xffff_ffff);
  if (layout !== 'dense' && layout !== 'sparse')
    throw fail(`meta.rowIds must be 'dense' or 'sparse', not ${describeArgument(layout)}`);
  if (typeof hasNorms !== 'boolean') throw fail(`meta.norms must be a boolean, not ${describeArgument(hasNorms)}`);
  const sparse = layout === 'sparse';
  const dataBytes = n * d * 4 + (sparse ? n * 4 : 0);
  if (dataBytes > maxBytes) throw fail(`the index holds ${dataBytes} bytes, over the limit of ${maxBytes}`);
  const expected = 1 + (sparse ? 1 : 0) + (hasNorms ? 1 : 0);
  if (buffers.length !== expected)
    throw fail(`a ${layout} index${hasNorms ? ' with norms' : ''} has ${expected} buffers, not ${buffers.length}`);
  const buffer = (at: number, type: string, length: number, what: string): unknown => {
    // Every buffer is a live typed array (checked by snapshotParts): its name and length can be read.
    const view = buffers[at] as ArrayBufferView & { readonly length: number };
    const name = typedArrayName(view);
    if (name !== type || view.length !== length)
      throw fail(`buffers[${at}] (${what}) must be a ${type} of ${length}, not a ${name} of ${view.length}`);
    return view;
  };
  const vectors = buffer(0, 'Float32Array', n * d, 'vectors') as Float32Array;
  const rowIds = sparse ? (buffer(1, 'Uint32Array', n, 'row ids') as Uint32Array) : undefined;
  const norms = hasNorms ? (buffer(sparse ? 2 : 1, 'Float64Array', n, 'norms') as Float64Array) : undefined;
  return { metric, dim: d, count: n, crc32: crc, vectors, rowIds, norms };
}
