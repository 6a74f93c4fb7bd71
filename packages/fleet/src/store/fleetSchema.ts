import { withPg } from './fleetErrors.js';
import type { Queryable } from './queryable.js';
import { fleetNames } from './schemaName.js';
import { advisoryKey } from './advisoryKey.js';

/** Options of {@link ensureFleetSchema}. */
export interface FleetSchemaOptions {
  /** The schema of the fleet's tables (default `baton_fleet`). */
  readonly schema?: string;
}

/** Marks the tables as made by this version of the DDL (the comment of the `commands` table). */
const MARK = 'baton-fleet core schema 1';

function ddl(schema: string): string {
  const { members, rollouts, commands, channel } = fleetNames(schema);
  return `
CREATE SCHEMA IF NOT EXISTS "${schema}";
CREATE TABLE IF NOT EXISTS ${members} (
  id text PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 200),
  plugin text NOT NULL,
  version text,
  pid int,
  host text,
  joined_at timestamptz NOT NULL DEFAULT now(),
  heartbeat_at timestamptz NOT NULL DEFAULT now(),
  left_at timestamptz,
  figures jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS members_plugin ON ${members} (plugin, heartbeat_at);
CREATE TABLE IF NOT EXISTS ${rollouts} (
  id bigserial PRIMARY KEY,
  plugin text NOT NULL,
  action text NOT NULL DEFAULT 'reload' CHECK (action IN ('reload', 'format')),
  from_version text NOT NULL,
  to_version text NOT NULL,
  from_artifact jsonb NOT NULL,
  artifact jsonb NOT NULL,
  policy jsonb NOT NULL,
  plan jsonb NOT NULL,
  state text NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'halting', 'done', 'halted')),
  phase text NOT NULL DEFAULT 'created',
  halted_reason jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX IF NOT EXISTS rollouts_one_active ON ${rollouts} (plugin) WHERE state IN ('running', 'halting');
CREATE TABLE IF NOT EXISTS ${commands} (
  id bigserial PRIMARY KEY,
  rollout_id bigint NOT NULL REFERENCES ${rollouts} (id),
  member_id text NOT NULL REFERENCES ${members} (id),
  seq int NOT NULL,
  action text NOT NULL CHECK (action IN ('reload', 'rollback', 'format')),
  artifact jsonb NOT NULL,
  state text NOT NULL DEFAULT 'pending'
    CHECK (state IN ('pending', 'running', 'done', 'failed', 'lost', 'cancelled')),
  issued_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  ended_at timestamptz,
  result jsonb,
  UNIQUE (rollout_id, member_id, seq)
);
CREATE INDEX IF NOT EXISTS commands_pending ON ${commands} (member_id) WHERE state IN ('pending', 'running');
CREATE OR REPLACE FUNCTION "${schema}".notify_command() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM pg_notify('${channel}', json_build_object(
    'id', NEW.id, 'rollout', NEW.rollout_id, 'member', NEW.member_id, 'state', NEW.state)::text);
  RETURN NULL;
END
$fn$;
CREATE OR REPLACE TRIGGER commands_notify AFTER INSERT OR UPDATE OF state ON ${commands}
  FOR EACH ROW EXECUTE FUNCTION "${schema}".notify_command();
COMMENT ON TABLE ${commands} IS '${MARK}';`;
}

/**
 * Makes the core fleet tables — `members`, `rollouts` (one active rollout per plugin: a unique
 * partial index) and `commands` (with a trigger that notifies `<schema>_commands` on each new
 * command and each change of state) — in `schema`, if they are not there yet. Idempotent and safe
 * to call from many processes at once: the DDL runs in one transaction under a transaction-level
 * advisory lock, and a schema already at this version costs one round trip. PostgreSQL 14 or newer.
 *
 * Errors: `INVALID_ARGUMENT` for a bad schema name or a statement the server refuses (e.g. no
 * permission to create the schema), `IO_FAILED` when the server cannot be reached.
 */
export async function ensureFleetSchema(client: Queryable, options: FleetSchemaOptions = {}): Promise<void> {
  const { schema, commands } = fleetNames(options.schema);
  const context = { fleetPhase: 'schema', message: `creating the fleet tables in schema '${schema}'` } as const;
  const current = await withPg(context, () =>
    client.query<{ ok: boolean | null }>(`SELECT obj_description(to_regclass($1), 'pg_class') = $2 AS ok`, [
      commands,
      MARK,
    ]),
  );
  if (current.rows[0]?.ok === true) return;
  await withPg(context, async () => {
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1)', [advisoryKey('schema', schema)]);
      await client.query(ddl(schema));
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  });
}
