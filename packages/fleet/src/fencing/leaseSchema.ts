import pg from 'pg';
import { advisoryKey } from '../store/advisoryKey.js';
import type { Queryable } from '../store/queryable.js';
import { fleetNames } from '../store/schemaName.js';
import { leasePg } from './leaseErrors.js';

/** The name of the lease table in its schema (what a sink's `fence.table` defaults to). */
export const LEASE_TABLE = 'cdc_leases';

/** Options of {@link ensureLeaseSchema} and the lease calls: where the lease table is. */
export interface LeaseSchemaOptions {
  /** The schema of the fleet's tables (default `baton_fleet`). */
  readonly schema?: string;
}

/** The checked schema and the quoted name of its lease table (`INVALID_ARGUMENT` for a bad schema). */
export function leaseTable(schema: unknown): { readonly schema: string; readonly table: string } {
  const names = fleetNames(schema);
  return { schema: names.schema, table: `${pg.escapeIdentifier(names.schema)}.${pg.escapeIdentifier(LEASE_TABLE)}` };
}

/**
 * Creates the schema and `cdc_leases(stream text primary key, owner text, token bigint, expires_at
 * timestamptz)` when missing — idempotent, one round trip, on a client or a pool. The statements run
 * as one implicit transaction under the transaction-level advisory lock of the fleet's other DDL
 * (`ensureFleetSchema`, `ensureFormatSchema`), so processes starting at once never race on the
 * catalog.
 *
 * A row is a stream's lease: `owner` holds it until `expires_at` (the database's clock); `owner` is
 * null once released; `token` is bumped by every acquire and never goes back, so it fences every
 * earlier owner. The table must live in the database of the sink whose writers it fences (the sink
 * checks the row inside its own transactions). A bad schema name is `INVALID_ARGUMENT`; a failure of
 * PostgreSQL `IO_FAILED` (`INVALID_ARGUMENT` when refused, e.g. no permission to create the schema).
 */
export async function ensureLeaseSchema(client: Queryable, options: LeaseSchemaOptions = {}): Promise<void> {
  const { schema, table } = leaseTable(options.schema);
  // No parameters: a simple query, whose statements run in one transaction (the lock is held until
  // the table exists). The schema is a checked identifier, the key a decimal integer.
  const text = `
    SELECT pg_advisory_xact_lock(${advisoryKey('schema', schema)}::bigint);
    CREATE SCHEMA IF NOT EXISTS ${pg.escapeIdentifier(schema)};
    CREATE TABLE IF NOT EXISTS ${table} (
      stream text PRIMARY KEY CHECK (length(stream) BETWEEN 1 AND 200),
      owner text CHECK (length(owner) BETWEEN 1 AND 200),
      token bigint NOT NULL CHECK (token >= 1),
      expires_at timestamptz NOT NULL
    );`;
  await leasePg('schema', undefined, `creating ${table}`, () => client.query(text));
}
