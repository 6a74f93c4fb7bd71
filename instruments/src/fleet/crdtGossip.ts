/**
 * How the trial's members share CRDT state through PostgreSQL: each member writes its g-counter's
 * persisted bytes (in the format its serving version writes) into `crdt_states` and merges every
 * other member's bytes (read by its serving version). In a mixed fleet this is where the formats
 * meet: a 1.0.0 member reads what 2.0.0 members write, so 2.0.0 must keep writing format 1 until the
 * format switch. A state that does not read or merge is counted, never ignored.
 */
import type { ManagedCrdt } from '@baton/core';
import type pg from 'pg';

/** A g-counter increment. */
export interface CounterOp {
  readonly replica: string;
  readonly by: number;
}

/** The table of exchanged states (in the fleet's database). */
export const CRDT_STATES = 'fleet_trial.crdt_states';

/** Creates the table (idempotent). */
export async function ensureCrdtTable(client: pg.Client): Promise<void> {
  await client.query(`CREATE SCHEMA IF NOT EXISTS fleet_trial;
    CREATE TABLE IF NOT EXISTS ${CRDT_STATES} (
      member text PRIMARY KEY, version text NOT NULL, bytes bytea NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`);
}

/** What one member's exchanges did. */
export interface GossipCounts {
  rounds: number;
  merged: number;
  /** States of other members that failed to read or merge (each a failure of the trial). */
  failed: number;
  lastError: string | undefined;
}

/** One member's side of the exchange. */
export class CrdtGossip {
  readonly #client: pg.Client;
  readonly #member: string;
  readonly #state: ManagedCrdt<CounterOp, number>;
  readonly #version: () => string;
  readonly counts: GossipCounts = { rounds: 0, merged: 0, failed: 0, lastError: undefined };
  #tail: Promise<void> = Promise.resolve();

  constructor(client: pg.Client, member: string, state: ManagedCrdt<CounterOp, number>, version: () => string) {
    this.#client = client;
    this.#member = member;
    this.#state = state;
    this.#version = version;
  }

  /** Merges the member's own row, if it has one (a restarted member takes up where it left). */
  async restore(): Promise<boolean> {
    const { rows } = await this.#client.query<{ bytes: Buffer }>(`SELECT bytes FROM ${CRDT_STATES} WHERE member = $1`, [
      this.#member,
    ]);
    if (rows[0] === undefined) return false;
    await this.#state.merge(new Uint8Array(rows[0].bytes));
    return true;
  }

  /** Publishes this member's state. */
  async publish(): Promise<void> {
    await this.#serial(async () => {
      const bytes = await this.#state.persist();
      await this.#client.query(
        `INSERT INTO ${CRDT_STATES} (member, version, bytes) VALUES ($1, $2, $3)
         ON CONFLICT (member) DO UPDATE SET version = EXCLUDED.version, bytes = EXCLUDED.bytes, updated_at = now()`,
        [this.#member, this.#version(), Buffer.from(bytes)],
      );
    });
  }

  /** Merges every other member's published state. */
  async pull(): Promise<void> {
    await this.#serial(async () => {
      const { rows } = await this.#client.query<{ member: string; version: string; bytes: Buffer }>(
        `SELECT member, version, bytes FROM ${CRDT_STATES} WHERE member <> $1`,
        [this.#member],
      );
      for (const row of rows) {
        try {
          await this.#state.merge(new Uint8Array(row.bytes));
          this.counts.merged++;
        } catch (error) {
          this.counts.failed++;
          this.counts.lastError = `merging ${row.member}'s state (written by ${row.version}) on ${this.#version()}: ${
            error instanceof Error ? error.message : String(error)
          }`;
        }
      }
      this.counts.rounds++;
    });
  }

  /** One round: publish, then pull. */
  async round(): Promise<void> {
    await this.publish();
    await this.pull();
  }

  #serial(task: () => Promise<void>): Promise<void> {
    const run = this.#tail.then(task);
    this.#tail = run.catch(() => undefined);
    return run;
  }
}
