import pg from 'pg';
import { fleetError, withPg } from '../store/fleetErrors.js';
import type { FleetPhase } from '../store/fleetErrors.js';
import type { Queryable } from '../store/queryable.js';
import { formatPhases, pinnedProblem } from './formatPhase.js';
import type { FormatPhase, FormatPhaseRow } from './formatPhase.js';

/** `schema.format_phases`, quoted (the schema was checked by `schemaOf`). */
export function phasesTable(schema: string): string {
  return `${pg.escapeIdentifier(schema)}.format_phases`;
}

/** The raw row as PostgreSQL returns it. */
export interface RawPhaseRow {
  readonly plugin: unknown;
  readonly version: unknown;
  readonly from_version: unknown;
  readonly phase: unknown;
  readonly pinned: unknown;
  readonly rollback_safe: unknown;
  readonly created_at: unknown;
  readonly switched_at: unknown;
}

/** Where a statement over `format_phases` is sent from, for its errors. */
export interface SqlSite {
  readonly fleetPhase: FleetPhase;
  /** What is being done (`switching geo 2.0.0`): the error's message starts with it. */
  readonly doing: string;
  readonly table: string;
  readonly plugin?: string;
}

/**
 * Runs one statement and returns its rows; a failure of PostgreSQL (or of the connection) is a
 * fleet error (`IO_FAILED`, `LOCKED`, `INVALID_ARGUMENT` by SQLSTATE: see `withPg`) naming what was
 * being done and the table, with the driver's error as the cause.
 */
export async function sql(
  client: Queryable,
  site: SqlSite,
  text: string,
  values?: readonly unknown[],
): Promise<RawPhaseRow[]> {
  const { rows } = await withPg(
    {
      fleetPhase: site.fleetPhase,
      message: `format phases: ${site.doing} (${site.table})`,
      ...(site.plugin === undefined ? {} : { plugin: site.plugin }),
    },
    () => client.query<RawPhaseRow & pg.QueryResultRow>(text, values === undefined ? undefined : [...values]),
  );
  return rows;
}

/** Whether `site.table` exists: it does once formats were used in the schema (`ensureFormatSchema`). */
export async function phasesTableExists(client: Queryable, site: SqlSite): Promise<boolean> {
  const { rows } = await withPg(
    {
      fleetPhase: site.fleetPhase,
      message: `format phases: ${site.doing}: looking for ${site.table}`,
      ...(site.plugin === undefined ? {} : { plugin: site.plugin }),
    },
    () => client.query<{ present: boolean }>('SELECT to_regclass($1) IS NOT NULL AS present', [site.table]),
  );
  return rows[0]?.present === true;
}

/**
 * A row read from `site.table`, checked: a row that does not hold what this module writes (edited
 * by hand, or by another program) is `CORRUPT_INPUT`, never a phase taken on trust.
 */
export function phaseRow(raw: RawPhaseRow, site: SqlSite): FormatPhaseRow {
  const problem = rowProblem(raw);
  if (problem !== undefined)
    throw fleetError({
      code: 'CORRUPT_INPUT',
      fleetPhase: site.fleetPhase,
      ...(typeof raw.plugin === 'string' ? { plugin: raw.plugin } : {}),
      message: `format phases: ${site.doing}: a row of ${site.table} is not a format phase (${problem})`,
    });
  return Object.freeze({
    plugin: raw.plugin as string,
    version: raw.version as string,
    fromVersion: raw.from_version as string,
    phase: raw.phase as FormatPhase,
    pinned: Object.freeze({ ...(raw.pinned as Record<string, number>) }),
    rollbackSafe: raw.rollback_safe as boolean,
    createdAt: raw.created_at as Date,
    switchedAt: raw.switched_at as Date | null,
  });
}

function rowProblem(raw: RawPhaseRow): string | undefined {
  for (const field of ['plugin', 'version', 'from_version'] as const)
    if (typeof raw[field] !== 'string' || raw[field] === '') return `${field} is not a non-empty string`;
  if (!formatPhases.includes(raw.phase as FormatPhase))
    return `phase ${JSON.stringify(raw.phase)} is not one of ${formatPhases.join(', ')}`;
  const pinned = pinnedProblem(raw.pinned);
  if (pinned !== undefined) return pinned;
  if (typeof raw.rollback_safe !== 'boolean') return 'rollback_safe is not a boolean';
  if (!(raw.created_at instanceof Date)) return 'created_at is not a time';
  if (raw.switched_at !== null && !(raw.switched_at instanceof Date)) return 'switched_at is not a time or null';
  if ((raw.phase === 'switched') !== (raw.switched_at !== null))
    return `phase ${String(raw.phase)} with switched_at ${raw.switched_at === null ? 'null' : 'set'}`;
  return undefined;
}
