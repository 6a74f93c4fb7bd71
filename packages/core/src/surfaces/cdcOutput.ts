import type { RecordBatch } from 'apache-arrow';
import type { CallOptions, MaybePromise } from '../util/maybePromise.js';

/**
 * One committed transaction's changes, as the engine's change log hands them to CDC outputs.
 * LSN ranges of consecutive batches are ascending and do not overlap.
 */
export interface CdcBatch {
  /** First log sequence number covered (inclusive). */
  readonly lsnStart: bigint;
  /** End of the covered range (exclusive): the next batch starts at or after it. */
  readonly lsnEnd: bigint;
  /** The changed rows. */
  readonly mutations: RecordBatch;
  /** Commit time of the transaction, in milliseconds since the Unix epoch. */
  readonly commitTimestamp: number;
}

/** Where a CDC stream starts. */
export interface CdcStartOptions extends CallOptions {
  /**
   * Resume point: a checkpoint LSN returned by `checkpoint()` of this output (any version).
   * Batches with `lsnEnd <= fromLsn` are already durable at the sink and must not be written again.
   * Absent: start from the beginning of the sink.
   */
  readonly fromLsn?: bigint;
}

/** A live CDC stream writing batches to its sink. */
export interface CdcStream {
  /**
   * Writes one batch. Called in LSN order, one at a time. After a `deliver` that failed, the same
   * batch may be delivered again: a batch ending at or before what the sink already holds must be
   * skipped, never written twice (a write may have landed before the failure was reported).
   */
  deliver(batch: CdcBatch): MaybePromise<void>;
  /**
   * Makes everything delivered so far durable and returns the LSN through which the sink is
   * complete: the `lsnEnd` of the last delivered batch (or the start LSN if none was delivered).
   */
  checkpoint(options?: CallOptions): MaybePromise<bigint>;
  /** Stops the stream. No `deliver` follows. */
  shutdown(options?: CallOptions): MaybePromise<void>;
}

/**
 * A change-data-capture output. Registered under its `name`.
 *
 * Reload discipline: checkpoint/restart. Deliveries pause; `checkpoint()` on the old stream gives an
 * LSN, `shutdown()` stops it, and `start({ fromLsn })` on the new provider resumes exactly after
 * it. If the new start fails, the old provider is restarted at the same LSN: no batch is lost or
 * written twice.
 */
export interface CdcOutputProvider {
  /** The output's name (registry key). */
  readonly name: string;
  start(options: CdcStartOptions): MaybePromise<CdcStream>;
}
