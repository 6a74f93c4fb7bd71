import { ReloadError } from '@baton/core';
import type { CallOptions, CdcBatch } from '@baton/core';
import pg from 'pg';
import { withPg } from '../errors/pgErrors.js';
import { Handover } from './handover.js';
import { ReplicationSession } from './replicationSession.js';
import { prepareSlot, slotLag } from './slotSetup.js';
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
 *   {@link readLsn} and {@link confirmedLsn} are this reader's own.
 *
 * A failed stream (connection lost, server stopped) makes every later `next()` reject with
 * `IO_FAILED`; an undecodable message with `CORRUPT_INPUT`. Open a new source to resume.
 */
export class PostgresChangeSource implements AsyncIterable<CdcBatch>, AsyncDisposable {
  readonly #options: CheckedSourceOptions;
  readonly #control: pg.Client;
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

  /** @internal Made by {@link postgresChangeSource}. */
  constructor(options: CheckedSourceOptions, control: pg.Client, startLsn: bigint) {
    this.#options = options;
    this.#control = control;
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

  /** The slot's lag as the server sees it. */
  slotLag(): Promise<SlotLag> {
    return slotLag(this.#control, this.slot, this.slot);
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
      await this.#session?.stop(this.#flushable());
      await this.#control.end().catch(() => undefined);
    })();
    return this.#closing;
  }

  /** {@link close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** @internal Starts streaming (called once by the factory). */
  async begin(): Promise<void> {
    const options = this.#options;
    this.#session = await ReplicationSession.start(
      { ...options, source: options.slot, startLsn: this.#startLsn },
      {
        onMessage: (message) => this.#onMessage(message),
        onEnd: (error) => {
          this.#fail(error);
        },
        onStatusRequest: () => {
          this.#report(true);
        },
      },
    );
    this.#timer = setInterval(() => {
      this.#report(true);
    }, options.statusIntervalMs);
    this.#timer.unref();
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
    await this.#handover.put(batch);
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
  const control = new pg.Client({
    connectionString: checked.url,
    application_name: `baton source ${checked.slot} control`,
  });
  control.on('error', () => undefined); // a lost connection fails the next query, which reports it
  await withPg({ what: `change source '${checked.slot}': connecting`, step: 'start' }, () => control.connect());
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
