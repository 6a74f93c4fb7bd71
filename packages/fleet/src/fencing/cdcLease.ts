import type { ReloadError } from '@baton/core';
import type { SinkFenceOptions } from '@baton/postgres';
import type pg from 'pg';
import { openClient } from './leaseClient.js';
import { leaseError, leasePg } from './leaseErrors.js';
import type { LeaseConfig } from './leaseOptions.js';
import { LEASE_TABLE } from './leaseSchema.js';
import { describeRow, readRow, releaseRow, renewRow } from './leaseSql.js';
import type { LeaseGrant } from './leaseSql.js';

/** Where a lease stands, as far as its holder knows. */
export type CdcLeaseState = 'held' | 'lost' | 'released';

/**
 * A held lease on one CDC stream: `owner` writes the stream's sink while it holds the lease, with
 * its `token` as the sink's fencing token (`sinkFence()`), which the sink checks in every
 * transaction — so a holder that was paused or partitioned past its expiry, whose lease a newer
 * owner took, writes nothing even if it never learns it lost.
 *
 * `renew()` (and the background renewals) extend it by `ttlMs` from the database's `now()` as long
 * as the row still has this owner and token — even after it expired, if nobody took it meanwhile.
 * `signal` aborts when the lease is known lost, with the reason as a `ReloadError`: `LOCKED` when a
 * renewal found another owner's token or the lease released by someone else (`details.lost`),
 * `IO_FAILED` when renewals failed until the lease's time was up by this process's monotonic clock
 * (measured from when the last successful renewal was sent, so never later than the database's
 * expiry), `RESOURCE_CLOSED` after `release()`. A lost lease stays lost: acquire a new one (a newer
 * token; start the sink writer again). The lease holds its own connection, with `lock_timeout`.
 */
export class CdcLease implements AsyncDisposable {
  /** The CDC stream. */
  readonly stream: string;
  /** Who holds it. */
  readonly owner: string;
  /** The schema of the lease table. */
  readonly schema: string;
  readonly #config: LeaseConfig;
  readonly #lost = new AbortController();
  #client: pg.Client | undefined;
  #grant: LeaseGrant;
  #deadline: number;
  #state: CdcLeaseState = 'held';
  #tail: Promise<unknown> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;

  /** @internal Made by `acquireCdcLease`. */
  constructor(config: LeaseConfig, client: pg.Client, grant: LeaseGrant, sent: number) {
    this.#config = config;
    this.stream = config.stream;
    this.owner = config.owner;
    this.schema = config.schema;
    this.#client = client;
    this.#grant = grant;
    this.#deadline = sent + config.ttlMs;
    this.#schedule();
  }

  /** The fencing token: bumped by every acquire of the stream, so a larger one is a later owner. */
  get token(): bigint {
    return this.#grant.token;
  }

  /** Until when the last acquire or renewal holds it, by the database's clock. */
  get expiresAt(): Date {
    return this.#grant.expiresAt;
  }

  /** `held`, `lost` or `released`, as far as this holder knows (the sink's check is what counts). */
  get state(): CdcLeaseState {
    return this.#state;
  }

  /** Aborts when the lease is lost or released; `signal.reason` is the `ReloadError` saying why. */
  get signal(): AbortSignal {
    return this.#lost.signal;
  }

  /**
   * The sink's `fence` option for this lease (`postgresCdcOutput({ …, fence: lease.sinkFence() })`):
   * its stream, table, and its token, read at each writer start. The sink must be in the lease's
   * database.
   */
  sinkFence(options: { readonly idleInTransactionTimeoutMs?: number } = {}): SinkFenceOptions {
    return { stream: this.stream, schema: this.schema, table: LEASE_TABLE, token: () => this.token, ...options };
  }

  /**
   * Extends the lease by `ttlMs` from the database's `now()`, after the calls before it. `LOCKED` with
   * `details.lost` when it was lost (and `signal` aborts), `LOCKED` with `details.busy` when a sink
   * transaction held the row past `lockTimeoutMs`, `IO_FAILED` when the database cannot be reached
   * (the next call reconnects), `RESOURCE_CLOSED` after `release()`. A failure other than a loss
   * once the lease's time is up (by this process's clock) loses it (`IO_FAILED`).
   */
  renew(): Promise<void> {
    return this.#serial(async () => {
      if (this.#state === 'lost') throw this.#lost.signal.reason as ReloadError;
      if (this.#state === 'released') throw this.#closed('renew');
      const sent = performance.now();
      try {
        const client = await this.#connection();
        const grant = await leasePg('renew', this.stream, `renewing token ${this.token}`, async () => {
          const renewed = await renewRow(client, this.#config, this.token);
          if (renewed) return renewed;
          const row = await readRow(client, this.#config);
          throw this.#lose(
            leaseError({
              code: 'LOCKED',
              step: 'renew',
              stream: this.stream,
              message: `'${this.owner}' lost its lease (token ${this.token}): ${describeRow(row)}`,
              details: {
                lost: true,
                token: this.token,
                leaseToken: row?.token ?? null,
                leaseOwner: row?.owner ?? null,
              },
            }),
          );
        });
        this.#grant = grant;
        this.#deadline = sent + this.#config.ttlMs;
      } catch (error) {
        if (this.#isHeld()) {
          if ((error as ReloadError).code === 'IO_FAILED') this.#drop();
          if (performance.now() >= this.#deadline)
            this.#lose(
              leaseError({
                code: 'IO_FAILED',
                step: 'renew',
                stream: this.stream,
                message: `'${this.owner}' could not renew its lease (token ${this.token}) before its time was up; taking it as lost`,
                cause: error,
                details: { lost: true, token: this.token },
              }),
            );
        }
        throw error;
      }
    });
  }

  /**
   * Lets go of the lease after the calls before it (owner cleared, expired now; the token stays, so
   * the next acquire bumps past it) and ends its connection; `signal` aborts (`RESOURCE_CLOSED`). True
   * if this call let go of a held lease; false if it was lost or released already. A database that
   * cannot be reached is `IO_FAILED` — the lease is then given up all the same and expires at its
   * time.
   */
  release(): Promise<boolean> {
    return this.#serial(async () => {
      if (this.#state !== 'held') {
        this.#drop();
        return false;
      }
      this.#state = 'released';
      this.#stopTimer();
      this.#lost.abort(this.#closed('release'));
      try {
        const client = await this.#connection();
        return await leasePg('release', this.stream, `releasing token ${this.token}`, () =>
          releaseRow(client, this.#config, this.token),
        );
      } finally {
        this.#drop();
      }
    });
  }

  /** {@link CdcLease.release}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.release();
  }

  #schedule(): void {
    const every = this.#config.renewEveryMs;
    if (every === 0 || this.#state !== 'held') return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.renew().then(
        () => {
          this.#schedule();
        },
        (error: unknown) => {
          if (this.#state === 'held') this.#config.onRenewError?.(error as ReloadError);
          this.#schedule();
        },
      );
    }, every);
    this.#timer.unref();
  }

  /** Whether still held (a method: a call in between may have lost it). */
  #isHeld(): boolean {
    return this.#state === 'held';
  }

  #stopTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Marks the lease lost with `reason` (aborting `signal`), ends its connection; returns `reason`. */
  #lose(reason: ReloadError): ReloadError {
    this.#state = 'lost';
    this.#stopTimer();
    this.#lost.abort(reason);
    this.#drop();
    return reason;
  }

  #closed(step: 'renew' | 'release'): ReloadError {
    return leaseError({
      code: 'RESOURCE_CLOSED',
      step,
      stream: this.stream,
      message: `'${this.owner}' released its lease (token ${this.token})`,
    });
  }

  async #connection(): Promise<pg.Client> {
    this.#client ??= await openClient(this.#config, 'renew');
    return this.#client;
  }

  /** Ends the connection (a lost one, or once the lease is over); the next call opens a new one. */
  #drop(): void {
    const client = this.#client;
    this.#client = undefined;
    void client?.end().catch(() => undefined);
  }

  #serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(task);
    this.#tail = run.catch(() => undefined);
    return run;
  }
}
