import type { CallOptions, MaybePromise } from '../util/maybePromise.js';

/**
 * Where the source of a CDC stream's batches stands, read by {@link CdcSource.sourcePosition}. LSNs
 * are in the space of the batches' `lsnStart`/`lsnEnd`.
 */
export interface CdcSourcePosition {
  /** The source's head: the end of everything it has logged (PostgreSQL: `pg_current_wal_lsn()`). */
  readonly headLsn: bigint;
  /**
   * The position the source durably keeps for its reader, from which a new reader resumes
   * (PostgreSQL: the replication slot's `confirmed_flush_lsn`). Absent when it keeps none.
   */
  readonly confirmedLsn?: bigint;
  /**
   * When the position was read, in milliseconds since the Unix epoch on the source's clock (the
   * clock of its commit timestamps). Absent: the host's clock when the reading settled.
   */
  readonly at?: number;
}

/**
 * Optional capability of whatever feeds a managed CDC stream (the engine's change log, a database's
 * replication slot): saying where its head is, so the host can report how far the stream trails
 * the source and not only how far its checkpoint trails its deliveries. Attach one with
 * `ManagedCdcStream.trackSource`; `@baton/postgres`'s change source implements it. A stream with no
 * source attached reports no source lag.
 *
 * The host calls `sourcePosition` at most once at a time per stream, every `intervalMs` of
 * `trackSource` (and when asked through `ManagedCdcStream.readSourceLag`), with a signal that aborts
 * at its `timeoutMs`: stop then. A reading that fails or times out is reported as such and never
 * affects the stream's deliveries.
 */
export interface CdcSource {
  /** Reads the source's head and its confirmed position (see {@link CdcSourcePosition}). */
  sourcePosition(options?: CallOptions): MaybePromise<CdcSourcePosition>;
}

/** How far one position of a stream trails its source's head. */
export interface CdcLagBehind {
  /** LSNs between the position and the head (PostgreSQL: bytes of WAL); 0 when caught up. */
  readonly lsn: bigint;
  /**
   * Milliseconds the source has had something past the position (0 when caught up): the reading's
   * time minus the earliest time known at which the source had logged past it — the commit time of
   * the first batch past it that the stream delivered (this dates the confirmed position exactly),
   * else the time of the earliest reading whose head was already past it. A lower bound: from the
   * readings, precise to their interval, and counted from the first reading after the source was
   * attached at the earliest.
   */
  readonly ms: number;
}

/** What `ManagedCdcStream.sourceLag` reports: the last reading of the source, and the lags it gives. */
export interface CdcSourceLag {
  /** The source's head at the reading. */
  readonly headLsn: bigint;
  /** When the reading was made, in milliseconds since the Unix epoch (the source's clock when it says). */
  readonly at: number;
  /**
   * How far what the stream delivered (`deliveredThrough`, now) trails the head of the reading. A
   * position behind the source's confirmed one counts from the confirmed one: the source has nothing
   * before it to give. Absent while the stream knows no position.
   */
  readonly delivered?: CdcLagBehind;
  /** How far the source's confirmed position trails its head; absent when the source keeps none. */
  readonly confirmed?: CdcLagBehind;
}
