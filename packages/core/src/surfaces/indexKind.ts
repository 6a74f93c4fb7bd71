import type { RecordBatch, Table } from 'apache-arrow';
import type { CallOptions, MaybePromise } from '../util/maybePromise.js';

/** How an index is built. */
export interface IndexBuildOptions extends CallOptions {
  /** The indexed column of the source. */
  readonly column: string;
  /** Kind-specific build parameters (metric, fan-out, …). */
  readonly params?: Readonly<Record<string, unknown>>;
}

/**
 * An open index. Handles are read-only: a probe never changes what a later probe answers, which is
 * why probes keep running on the old handle while it is persisted and reopened by the new version.
 */
export interface IndexHandle {
  /**
   * Answers a batch of queries: for each query row, up to `k` matches. The result schema is the
   * kind's own; it must be the same before and after a reload.
   */
  probe(query: RecordBatch, k: number): MaybePromise<RecordBatch>;
  /** Serialises the whole index; `open(bytes)` of the same kind (any compatible version) reopens it. */
  persist(options?: CallOptions): MaybePromise<Uint8Array>;
  /** Releases the handle. Called once, after the last probe on it has finished. */
  close(): MaybePromise<void>;
  /**
   * Optional: the handle's data as it lies in memory, for a new provider of the same kind in this
   * process to {@link IndexKindProvider.adopt} without copying or re-checking it. The buffers are
   * shared with this handle; neither side writes to them afterwards, and `close()` of this handle
   * only drops its own references. Absent: a reload persists and reopens the bytes (before the pause).
   */
  snapshot?(options?: CallOptions): MaybePromise<IndexSnapshot>;
}

/**
 * An index handle's in-memory form, handed by reference from one version of a kind to the next
 * within one process (see {@link IndexHandle.snapshot}). It is trusted memory, not input: no
 * checksum is verified on adoption, but its shape still is.
 */
export interface IndexSnapshot {
  /** The kind that made it. */
  readonly kind: string;
  /**
   * The provider's name for the layout of `meta` and `buffers` (e.g. `flat-vector/2`). A provider
   * that does not know the layout answers `undefined` from `adopt`, and the reload persists instead.
   */
  readonly layout: string;
  /** Small facts the layout needs (dimension, metric, counts), plain data. */
  readonly meta: Readonly<Record<string, unknown>>;
  /** The data, shared with the handle that made the snapshot. */
  readonly buffers: readonly ArrayBufferView[];
  /** Bytes in `buffers` (what a persist would have copied). */
  readonly byteLength: number;
}

/**
 * An index kind. Registered under its `kind`.
 *
 * Reload discipline: persist/open, before the pause. `persist()` on the old handle, then
 * `open(bytes)` on the new provider — or, when the handle has `snapshot` and the new provider
 * `adopt`, the new handle shares the old one's memory. Handles are read-only, so this runs while
 * the old version serves; the old handle keeps answering probes until commit and is closed after
 * them. If `open` fails, the reload is refused before anything pauses and the old handle was never
 * touched.
 */
export interface IndexKindProvider {
  /** The index kind's name (registry key). */
  readonly kind: string;
  build(source: RecordBatch | Table, options: IndexBuildOptions): MaybePromise<IndexHandle>;
  open(bytes: Uint8Array, options?: CallOptions): MaybePromise<IndexHandle>;
  /**
   * Optional: a handle over another version's {@link IndexSnapshot} of this kind, sharing its
   * buffers (no copy, no checksum pass). Answers `undefined` for a layout it does not read (the
   * reload then persists and opens); throws a typed error for a snapshot of its layout whose shape
   * is wrong.
   */
  adopt?(snapshot: IndexSnapshot, options?: CallOptions): MaybePromise<IndexHandle | undefined>;
}
