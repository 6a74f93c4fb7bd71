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
}

/**
 * An index kind. Registered under its `kind`.
 *
 * Reload discipline: persist/open. `persist()` on the old handle, then `open(bytes)` on the new
 * provider; the old handle keeps answering probes until commit and is closed after them. If `open`
 * fails, the new handle is never used and the old one was never touched.
 */
export interface IndexKindProvider {
  /** The index kind's name (registry key). */
  readonly kind: string;
  build(source: RecordBatch | Table, options: IndexBuildOptions): MaybePromise<IndexHandle>;
  open(bytes: Uint8Array, options?: CallOptions): MaybePromise<IndexHandle>;
}
