import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';

/** The published table the workload writes, and its publication. */
const WORKLOAD_TABLE = 'public.bench_orders';
export const WORKLOAD_PUBLICATION = 'bench_pub';

/** Runs `work` on a new connection to `url`, closed afterwards. */
export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined); // a lost connection fails the query in flight, which reports it
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Creates the workload's table, its publication and a procedure that commits `transactions`
 * transactions of `rows` inserts plus one update each (one COMMIT per transaction, so each is a
 * committed transaction of its own in the WAL, as separate clients' transactions would be).
 */
export async function prepareWorkload(url: string): Promise<void> {
  await withClient(url, async (client) => {
    await client.query(`
      CREATE TABLE IF NOT EXISTS ${WORKLOAD_TABLE} (
        id int8 PRIMARY KEY, customer int4 NOT NULL, amount numeric(12, 2) NOT NULL, note text NOT NULL);
      CREATE OR REPLACE PROCEDURE bench_write(transactions int, rows_per int) LANGUAGE plpgsql AS $$
      DECLARE base int8;
      BEGIN
        SELECT coalesce(max(id), 0) INTO base FROM ${WORKLOAD_TABLE};
        FOR t IN 1..transactions LOOP
          INSERT INTO ${WORKLOAD_TABLE}
            SELECT base + r, (t * 7 + r) % 1000, ((t * 31 + r) % 100000) / 100.0, 'order ' || t || '/' || r
            FROM generate_series(1, rows_per) r;
          UPDATE ${WORKLOAD_TABLE} SET amount = amount + 1, note = note || ' (paid)' WHERE id = base + 1;
          base := base + rows_per;
          COMMIT;
        END LOOP;
      END $$;`);
    const exists = await client.query(`SELECT 1 FROM pg_publication WHERE pubname = $1`, [WORKLOAD_PUBLICATION]);
    if (exists.rowCount === 0)
      await client.query(`CREATE PUBLICATION ${WORKLOAD_PUBLICATION} FOR TABLE ${WORKLOAD_TABLE}`);
  });
}

/** Commits `transactions` transactions of `rows` inserts and one update each (see {@link prepareWorkload}). */
export async function writeWorkload(url: string, transactions: number, rows: number): Promise<void> {
  await withClient(url, (client) => client.query('CALL bench_write($1, $2)', [transactions, rows]));
}

/** Creates a pgoutput slot at the current end of the WAL (what the workload written after it is read from). */
export async function createSlot(url: string, slot: string): Promise<void> {
  await withClient(url, (client) => client.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]));
}

/** A new slot at the position of `template` (which reads the same transactions, from the same point). */
export async function copySlot(url: string, template: string, slot: string): Promise<void> {
  await withClient(url, (client) => client.query(`SELECT pg_copy_logical_replication_slot($1, $2)`, [template, slot]));
}

/**
 * Drops a slot; waits (up to 10 s) for a walsender that is still ending to let go of it (SQLSTATE
 * 55006, `object_in_use`).
 */
export async function dropSlot(url: string, slot: string): Promise<void> {
  await withClient(url, async (client) => {
    for (let attempt = 0; ; attempt++) {
      try {
        await client.query(`SELECT pg_drop_replication_slot($1)`, [slot]);
        return;
      } catch (error) {
        if ((error as { code?: unknown }).code !== '55006' || attempt >= 200) throw error;
        await delay(50);
      }
    }
  });
}

/** Empties the CDC sink's tables of `url` (they exist once an output started there). */
export async function resetSink(url: string): Promise<void> {
  await withClient(url, (client) =>
    client.query(`DO $$ BEGIN
      IF to_regclass('public.baton_cdc_offsets') IS NOT NULL THEN
        TRUNCATE public.baton_cdc_offsets, public.baton_cdc_batches, public.baton_cdc_changes;
      END IF;
    END $$`),
  );
}

/**
 * Opens `count` connections to `url` at once (TCP, SCRAM authentication, a new server process
 * each) and returns the milliseconds until all were ready; they are closed afterwards.
 */
export async function parallelConnects(url: string, count: number): Promise<number> {
  const clients = Array.from({ length: count }, () => {
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => undefined);
    return client;
  });
  const started = performance.now();
  try {
    await Promise.all(clients.map((client) => client.connect()));
    return performance.now() - started;
  } finally {
    await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
  }
}
