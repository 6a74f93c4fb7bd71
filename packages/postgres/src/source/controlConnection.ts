import { ReloadError } from '@baton/core';
import pg from 'pg';
import { withPg } from '../errors/pgErrors.js';
import { slotLag } from './slotSetup.js';
import type { SlotLag } from './slotSetup.js';

/** How long opening the control connection may take. */
const CONNECT_TIMEOUT_MS = 10_000;

/** A connected control client (slot setup, lag) for the source reading `slot`. */
export async function connectControl(url: string, slot: string): Promise<pg.Client> {
  const control = new pg.Client({
    connectionString: url,
    application_name: `baton source ${slot} control`,
    // A server that does not answer fails the attempt instead of hanging it; a dead peer is noticed.
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    keepAlive: true,
  });
  control.on('error', () => undefined); // a lost connection fails the next query, which reports it
  await withPg({ what: `change source '${slot}': connecting`, step: 'start' }, () => control.connect());
  return control;
}

/**
 * A change source's control connection (the ordinary one beside the replication stream): it reads
 * the slot's lag, and opens itself again when it was lost (the server restarted). Concurrent
 * readers share one new connection and one query; one opened while the source closes is ended, not
 * kept. A reader whose signal aborts gives up at once and the connection is dropped (a query that
 * did not answer in time does not hold up the next reading: that one opens a new connection).
 */
export class ControlConnection {
  #client: pg.Client;
  #lost = false;
  #reopening: Promise<void> | undefined;
  #reading: Promise<SlotLag> | undefined;
  #closed = false;

  constructor(
    readonly url: string,
    readonly slot: string,
    client: pg.Client,
  ) {
    this.#client = this.#watch(client);
  }

  /**
   * The slot's lag as the server sees it (on a new connection if the old one was lost). `signal`
   * gives up waiting (`ABORTED`, step `step`) and drops the connection.
   */
  async lag(signal?: AbortSignal, step = 'slotLag'): Promise<SlotLag> {
    if (signal?.aborted) throw this.#aborted(signal, step);
    if (this.#closed) throw this.#closedError(step);
    let reading = this.#reading;
    if (reading === undefined) {
      const started = this.#read(step).finally(() => {
        if (this.#reading === started) this.#reading = undefined;
      });
      this.#reading = reading = started;
    }
    if (signal === undefined) return reading;
    const shared = reading;
    return new Promise<SlotLag>((resolve, reject) => {
      const onAbort = (): void => {
        reject(this.#aborted(signal, step));
        if (this.#reading === shared) {
          this.#reading = undefined; // the next reading runs a query of its own, on a new connection
          this.#drop();
        }
      };
      signal.addEventListener('abort', onAbort, { once: true });
      shared.then(
        (lag) => {
          signal.removeEventListener('abort', onAbort);
          resolve(lag);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
  }

  /** Ends the connection (and one being opened); idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#client.end().catch(() => undefined);
  }

  async #read(step: string): Promise<SlotLag> {
    if (this.#lost && !this.#closed) {
      this.#reopening ??= this.#reopen().finally(() => (this.#reopening = undefined));
      await this.#reopening;
    }
    if (this.#closed) throw this.#closedError(step);
    return slotLag(this.#client, this.slot, this.slot);
  }

  /** Ends the current connection: the query on it fails, and the next reading opens a new one. */
  #drop(): void {
    this.#lost = true;
    void this.#client.end().catch(() => undefined);
  }

  #closedError(step: string): ReloadError {
    return new ReloadError({
      code: 'RESOURCE_CLOSED',
      phase: 'call',
      step,
      message: `change source '${this.slot}': ${step}() after close()`,
    });
  }

  #aborted(signal: AbortSignal, step: string): ReloadError {
    return new ReloadError({
      code: 'ABORTED',
      phase: 'call',
      step,
      message: `change source '${this.slot}': reading the slot's position was aborted`,
      cause: signal.reason,
    });
  }

  async #reopen(): Promise<void> {
    const client = await connectControl(this.url, this.slot);
    if (this.#closed) {
      await client.end().catch(() => undefined);
      return;
    }
    void this.#client.end().catch(() => undefined);
    this.#client = this.#watch(client);
  }

  /** `client`, with its loss noted: {@link lag} then opens a new one. */
  #watch(client: pg.Client): pg.Client {
    this.#lost = false;
    const lost = (): void => {
      if (this.#client === client) this.#lost = true;
    };
    client.on('error', lost);
    client.on('end', lost);
    return client;
  }
}
