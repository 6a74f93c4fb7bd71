import { ReloadError } from '@baton/core';
import pg from 'pg';
import { sqlStateOf, withPg } from '../errors/pgErrors.js';
import { parseLsn } from '../lsn/lsn.js';

/** Where a slot stands on the server, and how far the WAL has gone past it. */
export interface SlotLag {
  /** The slot's name. */
  readonly slot: string;
  /** The server's current WAL write position (`pg_current_wal_lsn()`). */
  readonly currentLsn: bigint;
  /** The slot's `confirmed_flush_lsn`: where a new reader resumes. */
  readonly confirmedFlushLsn: bigint;
  /** The slot's `restart_lsn`: the oldest WAL the server keeps for it. */
  readonly restartLsn: bigint;
  /** `currentLsn - confirmedFlushLsn`: bytes of WAL not yet confirmed by the output. */
  readonly lagBytes: bigint;
  /** Whether a replication connection reads the slot now, and its server process. */
  readonly active: boolean;
  /** The server process reading the slot, or null. */
  readonly activePid: number | null;
  /** When the server read these (`clock_timestamp()`), in milliseconds since the Unix epoch: the clock of commit timestamps. */
  readonly serverTime: number;
}

/** What the source needs to exist before it streams. */
export interface SlotSetup {
  readonly source: string;
  readonly slot: string;
  readonly publication: string;
  /** Tables the publication is created for when it does not exist (`schema.table` or `table`). */
  readonly tables: readonly string[] | undefined;
  readonly createSlot: boolean;
}

/**
 * Checks `wal_level`, creates the publication (for `tables`) and the `pgoutput` slot when they are
 * missing, and returns the slot's confirmed position. A slot of another plugin or database, a
 * missing publication without `tables`, or a server without logical decoding is `INVALID_ARGUMENT`
 * naming it; a failed connection or statement is `IO_FAILED`.
 */
export async function prepareSlot(client: pg.Client, setup: SlotSetup): Promise<bigint> {
  const context = { what: `change source '${setup.source}': preparing slot '${setup.slot}'` };
  const invalid = (message: string): ReloadError =>
    new ReloadError({
      code: 'INVALID_ARGUMENT',
      phase: 'call',
      message: `change source '${setup.source}': ${message}`,
    });
  return withPg(context, async () => {
    const level = (await client.query<{ wal_level: string }>('SHOW wal_level')).rows[0]?.wal_level;
    if (level !== 'logical')
      throw invalid(`the server runs with wal_level = ${String(level)}; logical decoding needs wal_level = logical`);
    const publication = await client.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [setup.publication]);
    if (publication.rowCount === 0) {
      if (!setup.tables || setup.tables.length === 0)
        throw invalid(`publication '${setup.publication}' does not exist (create it, or pass tables to create it)`);
      const list = setup.tables.map(qualify).join(', ');
      await ignoring('42710', () =>
        client.query(`CREATE PUBLICATION ${pg.escapeIdentifier(setup.publication)} FOR TABLE ${list}`),
      );
    }
    let slot = await readSlot(client, setup.slot);
    if (!slot) {
      if (!setup.createSlot) throw invalid(`replication slot '${setup.slot}' does not exist`);
      await ignoring('42710', () =>
        client.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [setup.slot]),
      );
      slot = await readSlot(client, setup.slot);
      if (!slot) throw invalid(`replication slot '${setup.slot}' vanished right after it was created`);
    }
    const database = (await client.query<{ db: string }>('SELECT current_database() AS db')).rows[0]?.db;
    if (slot.slot_type !== 'logical' || slot.plugin !== 'pgoutput' || slot.database !== database)
      throw invalid(
        `replication slot '${setup.slot}' is a ${slot.slot_type} slot of plugin ${String(slot.plugin)} in database ${String(slot.database)}, ` +
          `not a pgoutput slot of database ${String(database)}`,
      );
    if (slot.confirmed === null) throw invalid(`replication slot '${setup.slot}' has no confirmed position`);
    return parseLsn(slot.confirmed, `confirmed_flush_lsn of slot '${setup.slot}'`);
  });
}

/** The slot's lag (see {@link SlotLag}); `INVALID_ARGUMENT` if the slot does not exist. */
export async function slotLag(client: pg.Client, source: string, slot: string): Promise<SlotLag> {
  const context = { what: `change source '${source}': reading the lag of slot '${slot}'` };
  return withPg(context, async () => {
    const result = await client.query<{
      current: string;
      confirmed: string | null;
      restart: string | null;
      active: boolean;
      active_pid: number | null;
      server_time: string;
    }>(
      `SELECT pg_current_wal_lsn()::text AS current, confirmed_flush_lsn::text AS confirmed,
              restart_lsn::text AS restart, active, active_pid,
              (extract(epoch FROM clock_timestamp()) * 1000)::float8::text AS server_time
         FROM pg_replication_slots WHERE slot_name = $1`,
      [slot],
    );
    const row = result.rows[0];
    if (!row) {
      throw new ReloadError({
        code: 'INVALID_ARGUMENT',
        phase: 'call',
        message: `change source '${source}': replication slot '${slot}' does not exist`,
      });
    }
    const currentLsn = parseLsn(row.current, 'pg_current_wal_lsn()');
    const confirmedFlushLsn = parseLsn(row.confirmed, `confirmed_flush_lsn of slot '${slot}'`);
    return {
      slot,
      currentLsn,
      confirmedFlushLsn,
      restartLsn: parseLsn(row.restart, `restart_lsn of slot '${slot}'`),
      lagBytes: currentLsn > confirmedFlushLsn ? currentLsn - confirmedFlushLsn : 0n,
      active: row.active,
      activePid: row.active_pid,
      serverTime: Math.floor(Number(row.server_time)),
    };
  });
}

interface SlotRow {
  readonly slot_type: string;
  readonly plugin: string | null;
  readonly database: string | null;
  readonly confirmed: string | null;
}

async function readSlot(client: pg.Client, slot: string): Promise<SlotRow | undefined> {
  const result = await client.query<SlotRow>(
    `SELECT slot_type, plugin, database, confirmed_flush_lsn::text AS confirmed
       FROM pg_replication_slots WHERE slot_name = $1`,
    [slot],
  );
  return result.rows[0];
}

/** `schema.table` or `table` as a quoted SQL name. */
function qualify(table: string): string {
  const parts = table.split('.');
  return parts.map((part) => pg.escapeIdentifier(part)).join('.');
}

/** Runs `task`, treating SQLSTATE `state` (e.g. `42710`: it exists already, a concurrent creator won) as success. */
async function ignoring(state: string, task: () => Promise<unknown>): Promise<void> {
  try {
    await task();
  } catch (error) {
    if (sqlStateOf(error) !== state) throw error;
  }
}
