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
  /**
   * Optional (with the new provider's `adopt`): stops this stream without making anything durable
   * and hands what it holds (open sink, lock, buffered writes, position) to a new provider of the
   * same output in this process. It must settle without waiting for I/O or timers: a reload calls it
   * inside the pause. No call on this stream follows, except through the takeover.
   */
  detach?(options?: CallOptions): MaybePromise<CdcTakeover>;
}

/**
 * What a detached {@link CdcStream} hands over: its position and, opaque to the host, what it held.
 * Exactly one of `adopt` by a provider or `close` ends it.
 */
export interface CdcTakeover {
  /** The output's name. */
  readonly output: string;
  /**
   * The provider's name for the layout of `state` (e.g. `file-cdc/1`). A provider that does not
   * know it answers `undefined` from `adopt`; the reload then closes the takeover and starts anew.
   */
  readonly layout: string;
  /** End LSN of the last batch delivered: the adopting stream resumes after it. */
  readonly lsn: bigint;
  /** What the stream held (open files, a lock lease, buffered writes). */
  readonly state: unknown;
  /**
   * When nobody adopts it: makes everything delivered durable, releases what the stream held (a
   * checkpoint then a shutdown) and returns the checkpoint LSN. Called outside the fast path only.
   */
  close(options?: CallOptions): MaybePromise<bigint>;
}

/**
 * A change-data-capture output. Registered under its `name`.
 *
 * Reload discipline: checkpoint/restart. Deliveries pause; `checkpoint()` on the old stream gives an
 * LSN, `shutdown()` stops it, and `start({ fromLsn })` on the new provider resumes exactly after
 * it. If the new start fails, the old provider is restarted at the same LSN: no batch is lost or
 * written twice. When the stream has `detach` and the new provider `adopt`, the new stream takes
 * the old one over in memory instead (no checkpoint, no I/O inside the pause); what was delivered
 * becomes durable at the next checkpoint, as any delivery does.
 */
export interface CdcOutputProvider {
  /** The output's name (registry key). */
  readonly name: string;
  start(options: CdcStartOptions): MaybePromise<CdcStream>;
  /**
   * Optional: a stream that continues a detached one of this output ({@link CdcStream.detach}),
   * taking over what it held without I/O, resuming after `takeover.lsn`. Answers `undefined` for a
   * layout it does not read; throws a typed error for a takeover of its layout that is malformed
   * (the takeover is then still open, and the reload closes it).
   */
  adopt?(takeover: CdcTakeover, options?: CallOptions): MaybePromise<CdcStream | undefined>;
}
