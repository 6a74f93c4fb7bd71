import { createHash } from 'node:crypto';
import pg from 'pg';
import type { SinkConfig } from './sinkOptions.js';

/** The quoted names of a sink's three tables. */
export interface SinkTables {
  /** One row per output: its checkpoint LSN, its writer generation, who started that writer. */
  readonly offsets: string;
  /** One row per written batch: its LSN range, commit time, row count and the generation that wrote it. */
  readonly batches: string;
  /** One row per mutation: the batch's start LSN, its position in the batch and the row as jsonb. */
  readonly changes: string;
}

/** The tables of a sink configuration, quoted. */
export function sinkTables(config: Pick<SinkConfig, 'schema' | 'tablePrefix'>): SinkTables {
  const name = (suffix: string) =>
    `${pg.escapeIdentifier(config.schema)}.${pg.escapeIdentifier(`${config.tablePrefix}_${suffix}`)}`;
  return { offsets: name('offsets'), batches: name('batches'), changes: name('changes') };
}

/** The first key of every advisory lock this package takes (`BTNC`). */
export const LOCK_CLASS = 0x42544e43;

/** The second key of an advisory lock on `text`: 32 bits of its SHA-256, as a signed int4. */
export function lockKey(text: string): number {
  return createHash('sha256').update(text).digest().readInt32BE(0);
}

/**
 * Creates the schema and the three tables when missing. Concurrent creators (two processes starting
 * on a new database) are serialised by a transaction-level advisory lock, since `CREATE TABLE IF NOT
 * EXISTS` alone can fail with a duplicate catalog entry when two run at once.
 */
export async function ensureSinkTables(client: pg.Client, config: SinkConfig): Promise<SinkTables> {
  const tables = sinkTables(config);
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1, $2)', [
      LOCK_CLASS,
      lockKey(`ddl:${config.schema}.${config.tablePrefix}`),
    ]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${pg.escapeIdentifier(config.schema)}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${tables.offsets} (
         output text PRIMARY KEY,
         lsn pg_lsn NOT NULL,
         generation bigint NOT NULL,
         holder text NOT NULL,
         updated_at timestamptz NOT NULL DEFAULT now())`,
    );
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${tables.batches} (
         output text NOT NULL,
         lsn_start pg_lsn NOT NULL,
         lsn_end pg_lsn NOT NULL,
         commit_time timestamptz NOT NULL,
         row_count integer NOT NULL,
         generation bigint NOT NULL,
         PRIMARY KEY (output, lsn_start))`,
    );
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${tables.changes} (
         output text NOT NULL,
         lsn_start pg_lsn NOT NULL,
         seq integer NOT NULL,
         row jsonb NOT NULL,
         PRIMARY KEY (output, lsn_start, seq))`,
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
  return tables;
}
