import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';
import { ReloadError } from '@baton/core';
import { postgresServer } from '@baton/postgres';
import type { PostgresServer } from '@baton/postgres';

/** The demo's source tables, qualified as the change source names them. */
export interface DemoSchema {
  readonly accounts: string;
  readonly transfers: string;
}

/** The PostgreSQL side of a demo run: a server, the demo's tables, its publication and slot names. */
export interface DemoPostgres {
  readonly server: PostgresServer;
  /** The database the writers write and the slot reads. */
  readonly url: string;
  /** The sink's database (the same one; the sink's tables are in their own schema, outside the publication). */
  readonly sinkUrl: string;
  readonly sinkSchema: string;
  readonly schema: DemoSchema;
  readonly slot: string;
  readonly publication: string;
  /** One line saying which server this is. */
  readonly description: string;
}

const SOURCE_SCHEMA = 'baton_demo';
const SINK_SCHEMA = 'baton_demo_sink';
const SLOT = 'baton_demo';
const PUBLICATION = 'baton_demo_pub';

/**
 * Starts an embedded PostgreSQL (or connects to the server at `url`) and makes the demo's own
 * objects there, from scratch: the schemas `baton_demo` (tables `accounts`, `transfers`) and
 * `baton_demo_sink` (the CDC sink's tables), the publication `baton_demo_pub`. A slot `baton_demo`
 * left by an earlier run that was killed is dropped; one in use by another run is `LOCKED`.
 */
export async function openPostgres(options: {
  readonly url?: string;
  readonly signal?: AbortSignal;
}): Promise<DemoPostgres> {
  const server = await postgresServer(
    options.url === undefined
      ? {
          // A throwaway server: no fsync (a crash of the machine is not what the demo shows).
          postgresFlags: ['-c', 'fsync=off', '-c', 'full_page_writes=off'],
          ...(options.signal ? { signal: options.signal } : {}),
        }
      : { url: options.url },
  );
  try {
    const client = new pg.Client({ connectionString: server.url });
    client.on('error', () => undefined);
    await client.connect();
    try {
      const slot = await client.query<{ active: boolean }>(
        'SELECT active FROM pg_replication_slots WHERE slot_name = $1',
        [SLOT],
      );
      if (slot.rows[0]?.active === true)
        throw new ReloadError({
          code: 'LOCKED',
          message: `the replication slot '${SLOT}' is in use by another demo run on this server; wait for it to end`,
        });
      if (slot.rows[0]) await client.query('SELECT pg_drop_replication_slot($1)', [SLOT]);
      await client.query(`
        DROP PUBLICATION IF EXISTS ${PUBLICATION};
        DROP SCHEMA IF EXISTS ${SOURCE_SCHEMA} CASCADE;
        DROP SCHEMA IF EXISTS ${SINK_SCHEMA} CASCADE;
        CREATE SCHEMA ${SOURCE_SCHEMA};
        CREATE SCHEMA ${SINK_SCHEMA};
        CREATE TABLE ${SOURCE_SCHEMA}.accounts (id int8 PRIMARY KEY, owner text NOT NULL, balance int8 NOT NULL, cid int8 NOT NULL);
        CREATE TABLE ${SOURCE_SCHEMA}.transfers (id int8 PRIMARY KEY, account int8 NOT NULL, amount int8 NOT NULL, cid int8 NOT NULL);
        CREATE PUBLICATION ${PUBLICATION} FOR TABLE ${SOURCE_SCHEMA}.accounts, ${SOURCE_SCHEMA}.transfers;
      `);
    } finally {
      await client.end();
    }
  } catch (error) {
    await server.stop();
    throw error;
  }
  const where = new URL(server.url);
  return {
    server,
    url: server.url,
    sinkUrl: server.url,
    sinkSchema: SINK_SCHEMA,
    schema: { accounts: `${SOURCE_SCHEMA}.accounts`, transfers: `${SOURCE_SCHEMA}.transfers` },
    slot: SLOT,
    publication: PUBLICATION,
    description:
      server.origin === 'embedded'
        ? `embedded PostgreSQL at ${where.host} (data directory ${server.dataDirectory ?? '?'})`
        : `PostgreSQL at ${where.host}${where.pathname} (schemas ${SOURCE_SCHEMA}, ${SINK_SCHEMA}; slot ${SLOT})`,
  };
}

/**
 * Drops the run's slot once its reader has let go of it (the walsender ends shortly after the
 * source closes): true when dropped, false when there was none. Waits at most `timeoutMs`.
 */
export async function dropSlot(url: string, slot: string, timeoutMs = 5_000): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const found = await client.query<{ active: boolean; pid: number | null }>(
        'SELECT active, active_pid AS pid FROM pg_replication_slots WHERE slot_name = $1',
        [slot],
      );
      const row = found.rows[0];
      if (!row) return false;
      if (!row.active) {
        await client.query('SELECT pg_drop_replication_slot($1)', [slot]);
        return true;
      }
      // Still held (a reader that did not close, or a walsender ending): end it past the deadline.
      if (performance.now() > deadline && row.pid !== null)
        await client.query('SELECT pg_terminate_backend($1)', [row.pid]);
      await delay(50);
    }
  } finally {
    await client.end();
  }
}
