/**
 * The CDC stream's lease as the trial's members take it: a row per stream (`stream`, `owner`,
 * `token`, `expires_at`) in the sink's database, where the sink's fence (`postgresCdcOutput`'s
 * `fence` option) checks the token inside every transaction. Taking an expired or released lease
 * bumps the token; the owner renews it with its heartbeat; the database's clock decides expiry.
 *
 * A stand-in until `@baton/fleet`'s fencing module exports its lease (same table shape, so the
 * sink's check is the same): see the report of the fleet trials.
 */
import type pg from 'pg';

/** Where the lease table is. */
export interface LeasePlace {
  readonly schema: string;
  readonly table: string;
}

/** The lease table of the trials. */
export const TRIAL_LEASES: LeasePlace = { schema: 'fleet_trial', table: 'cdc_leases' };

const tableOf = (place: LeasePlace): string => `"${place.schema}"."${place.table}"`;

/** Creates the lease table (idempotent). */
export async function ensureLeaseTable(client: pg.Client, place: LeasePlace = TRIAL_LEASES): Promise<void> {
  await client.query(`CREATE SCHEMA IF NOT EXISTS "${place.schema}";
    CREATE TABLE IF NOT EXISTS ${tableOf(place)} (
      stream text PRIMARY KEY, owner text, token bigint NOT NULL DEFAULT 0, expires_at timestamptz)`);
}

/** One member's hold on one stream's lease. */
export class StreamLease {
  readonly #client: pg.Client;
  readonly #place: LeasePlace;
  readonly stream: string;
  readonly owner: string;
  readonly ttlMs: number;
  /** The token of the lease this member holds (0 before it first held one). */
  token = 0n;
  #held = false;

  constructor(client: pg.Client, options: { stream: string; owner: string; ttlMs: number; place?: LeasePlace }) {
    this.#client = client;
    this.#place = options.place ?? TRIAL_LEASES;
    this.stream = options.stream;
    this.owner = options.owner;
    this.ttlMs = options.ttlMs;
  }

  /** Whether the last acquire or renewal held the lease. */
  get held(): boolean {
    return this.#held;
  }

  /** Takes the lease if it is free, released or expired (bumping its token); true when held. */
  async acquire(): Promise<boolean> {
    const table = tableOf(this.#place);
    await this.#client.query(`INSERT INTO ${table} (stream) VALUES ($1) ON CONFLICT (stream) DO NOTHING`, [
      this.stream,
    ]);
    const { rows } = await this.#client.query<{ token: string }>(
      `UPDATE ${table} SET owner = $2, token = token + 1, expires_at = now() + $3 * interval '1 millisecond'
        WHERE stream = $1 AND (owner IS NULL OR expires_at < now()) RETURNING token::text AS token`,
      [this.stream, this.owner, this.ttlMs],
    );
    this.#held = rows.length === 1;
    if (this.#held) this.token = BigInt(rows[0]!.token);
    return this.#held;
  }

  /** Extends the lease this member holds; false (and not held any more) when it was lost. */
  async renew(): Promise<boolean> {
    const { rowCount } = await this.#client.query(
      `UPDATE ${tableOf(this.#place)} SET expires_at = now() + $4 * interval '1 millisecond'
        WHERE stream = $1 AND owner = $2 AND token = $3 AND expires_at >= now()`,
      [this.stream, this.owner, this.token.toString(), this.ttlMs],
    );
    this.#held = rowCount === 1;
    return this.#held;
  }

  /** Lets go of the lease (if still this member's). */
  async release(): Promise<void> {
    this.#held = false;
    await this.#client.query(`UPDATE ${tableOf(this.#place)} SET owner = NULL WHERE stream = $1 AND token = $2`, [
      this.stream,
      this.token.toString(),
    ]);
  }
}
