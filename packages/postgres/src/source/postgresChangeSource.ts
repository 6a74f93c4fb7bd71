import { ReloadError } from '@baton/core';
import type { CallOptions, CdcBatch, CdcSource, CdcSourcePosition } from '@baton/core';
import type pg from 'pg';
import { ControlConnection, connectControl } from './controlConnection.js';
import { Handover } from './handover.js';
import { reconnectSession } from './reconnectSession.js';
import { ReplicationSession } from './replicationSession.js';
import type { SessionHandlers, SessionTarget } from './replicationSession.js';
import { prepareSlot } from './slotSetup.js';
import type { SlotLag } from './slotSetup.js';
import { checkSourceOptions } from './sourceOptions.js';
import type { CheckedSourceOptions, PostgresChangeSourceOptions } from './sourceOptions.js';
import { TransactionAssembler } from './transactionAssembler.js';
import type { SourceMessage } from './transactionAssembler.js';

/**
 * Reads a PostgreSQL logical replication slot (plugin `pgoutput`, one publication) and yields one
 * `CdcBatch` per committed transaction, in commit order: `[commit LSN, commit end LSN)`, mutations
 * in the layout of `changeSchema`. Made by {@link postgresChangeSource}.
 *
 * - **Confirmation**: the slot's confirmed position moves only through {@link confirm}, which the
 *   caller calls with an LSN the output has durably checkpointed — never further than the end of
 *   the last batch {@link next} returned. A new source resumes at the slot's confirmed position:
 *   the first transaction it yields is the first one not confirmed, whole (a transaction read but
 *   not confirmed comes again; the output skips what its checkpoint already covers).
 * - **Backpressure**: a transaction is decoded only after the previous one was handed over and the
 *   caller asked for the next (having delivered it): at most one transaction waits in memory, and
 *   the replication socket is paused meanwhile, so a slow output slows the walsender.
 * - **Lag**: {@link slotLag} reads the server's view (WAL position, confirmed and restart LSN);
 *   {@link readLsn} and {@link confirmedLsn} are this reader's own. It is a `CdcSource` of
 *   `@baton/core`: `feed.trackSource(source)` on the managed stream it feeds makes the stream report
 *   how far it and the slot trail the WAL head ({@link sourcePosition}).
 *
 * - **Reconnection** (unless `reconnect: false`): when the replication connection is lost (the
 *   server restarted or crashed, the walsender was terminated), the source opens a new one by itself
 *   with bounded exponential backoff and resumes from the position it confirmed. The server sends
 *   again from there (or from earlier: after a crash the slot is as it was at the last checkpoint);
 *   a transaction whose commit LSN was already handed over is dropped (same commit LSN, same
 *   transaction), and one that was being received when the connection broke comes again whole. So
 *   `next()` neither repeats nor skips a transaction across reconnections; it just waits meanwhile.
 *   {@link reconnects} counts them.
 *
 * A stream that cannot be reopened within `reconnect.timeoutMs` (or at all, with `reconnect:
 * false`) makes every later `next()` reject with `IO_FAILED`; an undecodable message with
 * `CORRUPT_INPUT`. Open a new source to resume.
 */
export class PostgresChangeSource implements AsyncIterable<CdcBatch>, AsyncDisposable, CdcSource {
  readonly #options: CheckedSourceOptions;
  readonly #control: ControlConnection;
  readonly #handover: Handover<CdcBatch>;
  readonly #assembler: TransactionAssembler;
  readonly #startLsn: bigint;
  #session: ReplicationSession | undefined;
  #timer: NodeJS.Timeout | undefined;
  #received: bigint;
  #read: bigint;
  #target: bigint;
  #confirmed: bigint;
  #failure: ReloadError | undefined;
  #closing: Promise<void> | undefined;
  /** Identifies the current session: messages and ends of an older one are ignored. */
  #epoch = 0;
  /** Settles when the consumer has come back past the last batch offered (the one-place handover). */
  #handing: Promise<void> = Promise.resolve();
  /** Stops a reconnection in progress (close, failure). */
  #reconnecting: AbortController | undefined;
  #reconnects = 0;

  /** @internal Made by {@link postgresChangeSource}. */
  constructor(options: CheckedSourceOptions, control: pg.Client, startLsn: bigint) {
    this.#options = options;
    this.#control = new ControlConnection(options.url, options.slot, control);
    this.#handover = new Handover(options.slot);
    this.#assembler = new TransactionAssembler(options.slot);
    this.#startLsn = startLsn;
    this.#received = this.#read = this.#target = this.#confirmed = startLsn;
  }

  /** The slot's confirmed position when this source started: where it resumed. */
  get startLsn(): bigint {
    return this.#startLsn;
  }

  /** `lsnEnd` of the newest transaction decoded (handed over or waiting to be): at most one past {@link readLsn}. */
  get receivedLsn(): bigint {
    return this.#received;
  }

  /** `lsnEnd` of the last batch {@link next} returned ({@link startLsn} before the first). */
  get readLsn(): bigint {
    return this.#read;
  }

  /** The position last reported to the server as confirmed (the slot moves there). */
  get confirmedLsn(): bigint {
    return this.#confirmed;
  }

  /** The slot's name. */
  get slot(): string {
    return this.#options.slot;
  }

  /** How many times the source reopened a lost replication connection. */
  get reconnects(): number {
    return this.#reconnects;
  }

  /** Transactions the server sent again after a reconnection and the source dropped, as handed over already. */
  get resentDropped(): number {
    return this.#assembler.dropped;
  }

  /** Whether the replication connection is lost and being reopened now. */
  get reconnecting(): boolean {
    return this.#reconnecting !== undefined;
  }

  /**
   * The next committed transaction, once the previous one was delivered (calling `next` says so);
   * `undefined` after {@link close}. `signal` gives up waiting (`ABORTED`); the transaction is kept
   * for the next call.
   */
  async next(options: CallOptions = {}): Promise<CdcBatch | undefined> {
    const batch = await this.#handover.take(options.signal);
    if (batch) {
      this.#read = batch.lsnEnd;
      this.#report(false);
    }
    return batch;
  }

  /**
   * Says the output has durably checkpointed everything through `lsn` (its `checkpoint()` result):
   * the slot may move there. The position reported is never past {@link readLsn} — an output ahead
   * of this reader (it kept batches a crash left unconfirmed) is caught up as those batches come
   * again and are skipped. An LSN that is not a bigint ≥ 0 is `INVALID_ARGUMENT`.
   */
  confirm(lsn: bigint): void {
    if (typeof lsn !== 'bigint' || lsn < 0n) {
      throw new ReloadError({
        code: 'INVALID_ARGUMENT',
        phase: 'call',
        step: 'confirm',
        message: `change source '${this.slot}': confirm() needs a bigint LSN ≥ 0 (got ${String(lsn)})`,
      });
    }
    if (lsn > this.#target) this.#target = lsn;
    this.#report(false);
  }

  /** The slot's lag as the server sees it (on a new connection if the server restarted meanwhile). */
  slotLag(): Promise<SlotLag> {
    return this.#control.lag();
  }

  /**
   * The server's WAL head and the slot's confirmed position, for `ManagedCdcStream.trackSource`
   * (`CdcSource` of `@baton/core`): `headLsn` is `pg_current_wal_lsn()` — the whole server's WAL,
   * other databases and unpublished tables included, which the slot also holds back —,
   * `confirmedLsn` the slot's `confirmed_flush_lsn`, `at` the server's `clock_timestamp()`, all
   * read by one query on the control connection (shared by concurrent callers; reopened if lost).
   * `signal` gives up (`ABORTED`) and drops that connection, so a query that hangs does not hold
   * up the next reading. `IO_FAILED` when the server cannot be queried, `INVALID_ARGUMENT` when the
   * slot is gone, `RESOURCE_CLOSED` after {@link close}.
   */
  async sourcePosition(options: CallOptions = {}): Promise<CdcSourcePosition> {
    const lag = await this.#control.lag(options.signal, 'sourcePosition');
    return { headLsn: lag.currentLsn, confirmedLsn: lag.confirmedFlushLsn, at: lag.serverTime };
  }

  /** Iterates with {@link next}; leaving the loop early closes the source. */
  [Symbol.asyncIterator](): AsyncIterator<CdcBatch> {
    return {
      next: async () => {
        const batch = await this.next();
        return batch ? { value: batch, done: false } : { value: undefined, done: true };
      },
      return: async () => {
        await this.close();
        return { value: undefined, done: true };
      },
    };
  }

  /** Reports the confirmed position a last time and closes both connections; idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#handover.close();
      clearInterval(this.#timer);
      this.#reconnecting?.abort();
      await this.#session?.stop(this.#flushable());
      await this.#control.close();
    })();
    return this.#closing;
  }

  /** {@link close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** @internal Starts streaming (called once by the factory). */
  async begin(): Promise<void> {
    this.#session = await ReplicationSession.start(this.#sessionTarget(), this.#handlers());
    this.#timer = setInterval(() => {
      this.#report(true);
    }, this.#options.statusIntervalMs);
    this.#timer.unref();
  }

  /** Where a session streams from: the position confirmed to the server (it may resend from there). */
  #sessionTarget(): SessionTarget {
    const options = this.#options;
    return { ...options, source: options.slot, startLsn: this.#confirmed };
  }

  /** The handlers of a new session: they act only while it is the current one. */
  #handlers(): SessionHandlers {
    const epoch = ++this.#epoch;
    return {
      onMessage: (message) => (epoch === this.#epoch ? this.#onMessage(message) : Promise.resolve()),
      onEnd: (error) => {
        if (epoch === this.#epoch) this.#lost(error);
      },
      onStatusRequest: () => {
        if (epoch === this.#epoch) this.#report(true);
      },
    };
  }

  /** The replication connection ended: reconnect (unless that is off), or fail. */
  #lost(error: unknown): void {
    const options = this.#options.reconnect;
    if (this.#failure || this.#closing) return;
    if (!options) {
      this.#fail(error);
      return;
    }
    this.#epoch++; // the old session's late messages and ends are ignored from now on
    const old = this.#session;
    this.#session = undefined;
    void old?.stop().catch(() => undefined);
    this.#assembler.resume();
    const controller = new AbortController();
    this.#reconnecting = controller;
    reconnectSession(this.#sessionTarget(), {
      options,
      lost: error,
      signal: controller.signal,
      handlers: () => this.#handlers(),
    }).then(
      (session) => {
        if (this.#reconnecting === controller) this.#reconnecting = undefined;
        if (!session) return;
        if (this.#closing || this.#failure) {
          // Closed (or failed) while the new session was being set up: it must not hold the slot.
          void session.stop().catch(() => undefined);
          return;
        }
        this.#session = session;
        this.#reconnects++;
        this.#report(true); // after a crash the slot may be behind what was confirmed: move it again
      },
      (failure: unknown) => {
        if (this.#reconnecting === controller) this.#reconnecting = undefined;
        this.#fail(failure);
      },
    );
  }

  async #onMessage(message: SourceMessage): Promise<void> {
    if (this.#failure || this.#closing) return;
    let batch: CdcBatch | undefined;
    try {
      batch = this.#assembler.accept(message);
    } catch (error) {
      this.#fail(error);
      return;
    }
    if (!batch) return;
    this.#received = batch.lsnEnd;
    // After a reconnection the batch offered by the old session may still wait for the consumer.
    const handing = this.#handing.then(() => this.#handover.put(batch));
    this.#handing = handing;
    await handing;
  }

  /** The position the server may be told: what the output confirmed, but never past what was read. */
  #flushable(): bigint {
    return this.#target < this.#read ? this.#target : this.#read;
  }

  /** Reports a new confirmed position, or (`always`) the current one as a keepalive. */
  #report(always: boolean): void {
    const flush = this.#flushable();
    if (flush > this.#confirmed) this.#confirmed = flush;
    else if (!always) return;
    this.#session?.reportFlushed(this.#confirmed);
  }

  #fail(error: unknown): void {
    if (this.#failure || this.#closing) return;
    this.#failure =
      error instanceof ReloadError
        ? error
        : new ReloadError({
            code: 'IO_FAILED',
            phase: 'call',
            step: 'next',
            message: `change source '${this.slot}': the replication stream failed: ${error instanceof Error ? error.message : String(error)}`,
            cause: error,
          });
    this.#handover.fail(this.#failure);
    clearInterval(this.#timer);
    this.#reconnecting?.abort();
    void this.#session?.stop().catch(() => undefined);
  }
}

/**
 * Opens a {@link PostgresChangeSource}: checks the options (`INVALID_ARGUMENT`), connects, makes
 * sure the publication and the `pgoutput` slot exist (creating them as the options allow), and
 * starts streaming from the slot's confirmed position. A slot another connection reads is waited
 * for up to `acquireTimeoutMs`, then `LOCKED`; a connection failure is `IO_FAILED`.
 */
export async function postgresChangeSource(options: PostgresChangeSourceOptions): Promise<PostgresChangeSource> {
  const checked = checkSourceOptions(options);
  const control = await connectControl(checked.url, checked.slot);
  try {
    checked.signal?.throwIfAborted();
    const startLsn = await prepareSlot(control, {
      source: checked.slot,
      slot: checked.slot,
      publication: checked.publication,
      tables: checked.tables,
      createSlot: checked.createSlot,
    });
    const source = new PostgresChangeSource(checked, control, startLsn);
    await source.begin();
    return source;
  } catch (error) {
    await control.end().catch(() => undefined);
    throw error;
  }
}
