import { ReloadError } from '@baton/core';
import pg from 'pg';
import { withPg } from '../errors/pgErrors.js';
import { slotLag } from './slotSetup.js';
import type { SlotLag } from './slotSetup.js';

/** A connected control client (slot setup, lag) for the source reading `slot`. */
export async function connectControl(url: string, slot: string): Promise<pg.Client> {
  const control = new pg.Client({ connectionString: url, application_name: `baton source ${slot} control` });
  control.on('error', () => undefined); // a lost connection fails the next query, which reports it
  await withPg({ what: `change source '${slot}': connecting`, step: 'start' }, () => control.connect());
  return control;
}

/**
 * A change source's control connection (the ordinary one beside the replication stream): it reads
 * the slot's lag, and opens itself again when it was lost (the server restarted). Concurrent
 * readers share one new connection; one opened while the source closes is ended, not kept.
 */
export class ControlConnection {
  #client: pg.Client;
  #lost = false;
  #reopening: Promise<void> | undefined;
  #closed = false;

  constructor(
    readonly url: string,
    readonly slot: string,
    client: pg.Client,
  ) {
    this.#client = this.#watch(client);
  }

  /** The slot's lag as the server sees it (on a new connection if the old one was lost). */
  async lag(): Promise<SlotLag> {
    if (this.#lost && !this.#closed) {
      this.#reopening ??= this.#reopen().finally(() => (this.#reopening = undefined));
      await this.#reopening;
    }
    if (this.#closed) {
      throw new ReloadError({
        code: 'RESOURCE_CLOSED',
        phase: 'call',
        step: 'slotLag',
        message: `change source '${this.slot}': slotLag() after close()`,
      });
    }
    return slotLag(this.#client, this.slot, this.slot);
  }

  /** Ends the connection (and one being opened); idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#client.end().catch(() => undefined);
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
