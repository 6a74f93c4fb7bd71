import pg from 'pg';
import { advisoryKey } from '../store/advisoryKey.js';
import type { Queryable } from '../store/queryable.js';
import { schemaOf } from './formatPhase.js';
import type { FormatSchemaOptions } from './formatPhase.js';
import { phasesTable, sql } from './formatSql.js';

/**
 * Creates the schema and `format_phases` when missing (idempotent, one round trip). The statements
 * run as one implicit transaction under the same transaction-level advisory lock as
 * `ensureFleetSchema`'s, so processes starting at once on a new database — and the two DDLs —
 * never race on the catalog. Works on a client or a pool.
 *
 * `format_phases(plugin, version, from_version, phase ('mixed' | 'switched'), pinned jsonb,
 * rollback_safe, created_at, switched_at)`, one row per (plugin, version). A bad schema name is
 * `INVALID_ARGUMENT`; a failure of PostgreSQL `IO_FAILED` (or `INVALID_ARGUMENT` when refused,
 * e.g. no permission to create the schema).
 */
export async function ensureFormatSchema(client: Queryable, options?: FormatSchemaOptions): Promise<void> {
  const schema = schemaOf(options);
  const table = phasesTable(schema);
  // No parameters: a simple query, whose statements run in one implicit transaction (the lock is
  // held until the table exists). The schema is a checked identifier, the key a decimal integer.
  const text = `
    SELECT pg_advisory_xact_lock(${advisoryKey('schema', schema)}::bigint);
    CREATE SCHEMA IF NOT EXISTS ${pg.escapeIdentifier(schema)};
    CREATE TABLE IF NOT EXISTS ${table} (
      plugin text NOT NULL CHECK (length(plugin) BETWEEN 1 AND 256),
      version text NOT NULL CHECK (length(version) BETWEEN 1 AND 256),
      from_version text NOT NULL CHECK (length(from_version) BETWEEN 1 AND 256),
      phase text NOT NULL CHECK (phase IN ('mixed', 'switched')),
      pinned jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(pinned) = 'object'),
      rollback_safe boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL DEFAULT now(),
      switched_at timestamptz,
      PRIMARY KEY (plugin, version),
      CHECK ((phase = 'switched') = (switched_at IS NOT NULL))
    );`;
  await sql(client, { fleetPhase: 'schema', doing: `creating the table in schema '${schema}'`, table }, text);
}
