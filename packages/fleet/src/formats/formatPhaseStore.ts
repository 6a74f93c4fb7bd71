import { fleetError } from '../store/fleetErrors.js';
import type { FleetPhase } from '../store/fleetErrors.js';
import type { Queryable } from '../store/queryable.js';
import { checkName, invalidFormatArgument, pinnedProblem, schemaOf } from './formatPhase.js';
import type { FormatPhaseRow, FormatSchemaOptions } from './formatPhase.js';
import { phaseRow, phasesTable, phasesTableExists, sql } from './formatSql.js';
import type { RawPhaseRow, SqlSite } from './formatSql.js';

/** Which plugin version a function over `format_phases` is about. */
export interface FormatPhaseKey extends FormatSchemaOptions {
  readonly plugin: string;
  readonly version: string;
}

/** What {@link beginMixedPhase} records (normally from a `FleetFormatReport`). */
export interface MixedPhaseInit extends FormatPhaseKey {
  readonly fromVersion: string;
  /** CRDT kind key → the format the old version writes, for each kind whose format changes. */
  readonly pinned: Readonly<Record<string, number>>;
  /** Whether the old version reads every format the new one writes once switched. */
  readonly rollbackSafe: boolean;
}

/** A live member of the fleet and the plugin version it runs (from the membership rows). */
export interface FleetMemberVersion {
  readonly id: string;
  readonly version: string;
}

/** The format phase of one plugin version, or `undefined` when none is recorded. */
export async function readFormatPhase(client: Queryable, key: FormatPhaseKey): Promise<FormatPhaseRow | undefined> {
  const site = siteOf(key, 'record', 'readFormatPhase', 'reading the phase of');
  const rows = await sql(client, site, `SELECT * FROM ${site.table} WHERE plugin = $1 AND version = $2`, [
    site.plugin,
    site.version,
  ]);
  return rows[0] === undefined ? undefined : phaseRow(rows[0], site);
}

/**
 * The phase that switched `key.plugin` away from `key.version` for good: phase `switched`, from
 * `version`, and not rollback-safe (`version` cannot read the formats it writes). `undefined` when
 * there is none, also when formats were never used (no `format_phases` table). What a process about
 * to join with `version` must not run against.
 */
export async function switchedAwayFrom(client: Queryable, key: FormatPhaseKey): Promise<FormatPhaseRow | undefined> {
  const site = siteOf(key, 'join', 'switchedAwayFrom', 'looking for a switch away from');
  if (!(await phasesTableExists(client, site))) return undefined;
  const rows = await sql(
    client,
    site,
    `SELECT * FROM ${site.table}
      WHERE plugin = $1 AND phase = 'switched' AND from_version = $2 AND NOT rollback_safe
      ORDER BY version LIMIT 1`,
    [site.plugin, site.version],
  );
  return rows[0] === undefined ? undefined : phaseRow(rows[0], site);
}

/** Every recorded format phase (of one plugin when `options.plugin` is given), by plugin then version. */
export async function listFormatPhases(
  client: Queryable,
  options?: FormatSchemaOptions & { readonly plugin?: string },
): Promise<FormatPhaseRow[]> {
  const plugin = options?.plugin === undefined ? null : checkName(options.plugin, 'plugin', 'listFormatPhases');
  const site: SqlSite = {
    fleetPhase: 'record',
    doing: plugin === null ? 'listing the phases' : `listing the phases of ${plugin}`,
    table: phasesTable(schemaOf(options)),
  };
  const rows = await sql(
    client,
    site,
    `SELECT * FROM ${site.table} WHERE $1::text IS NULL OR plugin = $1 ORDER BY plugin, version`,
    [plugin],
  );
  return rows.map((row) => phaseRow(row, site));
}

/**
 * Step one of the two-step upgrade, before the first process moves: records that `version` runs in
 * phase `mixed` (it writes the `pinned` formats of `fromVersion`). Idempotent: a coordinator that
 * restarts and records it again changes nothing, and a row already `switched` for the same
 * `fromVersion` stays switched (a resumed rollout does not undo its second step). A row of another
 * `fromVersion` (a new rollout to the same version) starts over in `mixed`. Returns the row.
 */
export async function beginMixedPhase(client: Queryable, init: MixedPhaseInit): Promise<FormatPhaseRow> {
  const site = siteOf(init, 'preflight', 'beginMixedPhase', 'recording phase mixed of');
  const fromVersion = checkName(init.fromVersion, 'fromVersion', 'beginMixedPhase');
  const problem = pinnedProblem(init.pinned);
  if (problem !== undefined) throw invalidFormatArgument(`beginMixedPhase: ${problem}`, site.plugin);
  if (typeof init.rollbackSafe !== 'boolean')
    throw invalidFormatArgument('beginMixedPhase: rollbackSafe must be a boolean', site.plugin);
  const rows = await sql(
    client,
    site,
    `WITH up AS (
       INSERT INTO ${site.table} AS p (plugin, version, from_version, phase, pinned, rollback_safe)
       VALUES ($1, $2, $3, 'mixed', $4::jsonb, $5)
       ON CONFLICT (plugin, version) DO UPDATE
         SET from_version = EXCLUDED.from_version, phase = 'mixed', pinned = EXCLUDED.pinned,
             rollback_safe = EXCLUDED.rollback_safe, created_at = now(), switched_at = NULL
         WHERE p.phase = 'mixed' OR p.from_version <> EXCLUDED.from_version
       RETURNING *)
     SELECT * FROM up
     UNION ALL
     SELECT * FROM ${site.table} WHERE plugin = $1 AND version = $2 AND NOT EXISTS (SELECT 1 FROM up)`,
    [site.plugin, site.version, fromVersion, JSON.stringify(init.pinned), init.rollbackSafe],
  );
  // A row another writer inserted after this statement's snapshot is read by the next one.
  const row = rows[0] ?? (await readFormatPhase(client, init));
  if (row === undefined)
    throw fleetError({
      code: 'IO_FAILED',
      fleetPhase: 'preflight',
      plugin: site.plugin,
      message: `format phases: the row of ${site.plugin} ${site.version} in ${site.table} was gone right after it was written`,
    });
  return 'createdAt' in row ? row : phaseRow(row, site);
}

/**
 * Step two: switches `version` to phase `switched` (its processes write their newest formats from
 * their next reload on). Refused with `SCHEMA_INCOMPATIBLE` — the row unchanged — unless every live
 * member in `members` runs `version` (a member still on the old version could not read what the
 * switched ones write), and with `INVALID_ARGUMENT` for an empty member list or when no phase is
 * recorded for the version. Idempotent (a row already switched keeps its `switchedAt`).
 */
export async function switchFormatPhase(
  client: Queryable,
  key: FormatPhaseKey & { readonly members: readonly FleetMemberVersion[] },
): Promise<FormatPhaseRow> {
  const site = siteOf(key, 'record', 'switchFormatPhase', 'switching the formats of');
  const { plugin, version } = site;
  const members: unknown = key.members;
  if (!Array.isArray(members) || members.length === 0)
    throw invalidFormatArgument(
      `switchFormatPhase: members must list the fleet's live members of ${plugin} (none given): a switch needs every one of them on ${version}`,
      plugin,
      'record',
    );
  const behind = (members as unknown[]).map(memberOf).filter((member) => member.version !== version);
  if (behind.length > 0)
    throw fleetError({
      code: 'SCHEMA_INCOMPATIBLE',
      fleetPhase: 'record',
      phase: 'compat',
      plugin,
      message: `format switch of ${plugin} ${version} refused: ${behind.length} live member(s) do not run ${version} yet (${behind
        .slice(0, 8)
        .map((member) => `${member.id} on ${member.version}`)
        .join(
          ', ',
        )}${behind.length > 8 ? ', …' : ''}); they could not read the formats ${version} writes once switched`,
      details: { behind },
    });
  const rows = await sql(
    client,
    site,
    `UPDATE ${site.table} SET phase = 'switched', switched_at = COALESCE(switched_at, now())
     WHERE plugin = $1 AND version = $2 RETURNING *`,
    [plugin, version],
  );
  if (rows[0] === undefined)
    throw invalidFormatArgument(
      `switchFormatPhase: no format phase is recorded for ${plugin} ${version} (the rollout's preflight records phase mixed before the first process moves)`,
      plugin,
      'record',
    );
  return phaseRow(rows[0], site);
}

/**
 * Before the fleet rolls back from `version` to the version it came from: refused with
 * `SCHEMA_INCOMPATIBLE` (the row unchanged) when the phase is `switched` and the old version does
 * not read the new formats; otherwise the phase goes back to `mixed`, so processes still on
 * `version` write the old formats again from their next reload. Returns the row, or `undefined`
 * when no phase is recorded (nothing to guard).
 */
export async function revertFormatPhase(client: Queryable, key: FormatPhaseKey): Promise<FormatPhaseRow | undefined> {
  const site = siteOf(key, 'rollback', 'revertFormatPhase', 'reverting to phase mixed');
  const rows = (await sql(
    client,
    site,
    `WITH up AS (
       UPDATE ${site.table} SET phase = 'mixed', switched_at = NULL
       WHERE plugin = $1 AND version = $2 AND (phase = 'mixed' OR rollback_safe) RETURNING *, true AS reverted)
     SELECT * FROM up
     UNION ALL
     SELECT *, false AS reverted FROM ${site.table}
     WHERE plugin = $1 AND version = $2 AND NOT EXISTS (SELECT 1 FROM up)`,
    [site.plugin, site.version],
  )) as (RawPhaseRow & { readonly reverted: unknown })[];
  const raw = rows[0];
  if (raw === undefined) return undefined;
  const row = phaseRow(raw, site);
  if (raw.reverted !== true)
    throw fleetError({
      code: 'SCHEMA_INCOMPATIBLE',
      fleetPhase: 'rollback',
      phase: 'rollback',
      plugin: site.plugin,
      message: `rollback of ${site.plugin} from ${site.version} to ${row.fromVersion} refused: the fleet switched to the formats of ${site.version} at ${row.switchedAt?.toISOString() ?? '?'}, and ${row.fromVersion} cannot read them (the preflight found a rollback after the switch unsafe)`,
      details: { row },
    });
  return row;
}

/**
 * Undoes the switch of `version` when its `format` rollout halts: the phase goes back to `mixed`
 * (the members reloaded by the halted rollout are then reloaded again, pinned). Always allowed: the
 * preflight verified that the version in phase `mixed` reads what it writes once switched
 * (`switchReads`). Returns the row, or `undefined` when no phase is recorded.
 */
export async function undoFormatSwitch(client: Queryable, key: FormatPhaseKey): Promise<FormatPhaseRow | undefined> {
  const site = siteOf(key, 'halt', 'undoFormatSwitch', 'undoing the format switch of');
  const rows = await sql(
    client,
    site,
    `UPDATE ${site.table} SET phase = 'mixed', switched_at = NULL WHERE plugin = $1 AND version = $2 RETURNING *`,
    [site.plugin, site.version],
  );
  return rows[0] === undefined ? undefined : phaseRow(rows[0], site);
}

/** The checked key and where statements about it come from. */
function siteOf(
  key: FormatPhaseKey,
  fleetPhase: FleetPhase,
  where: string,
  doing: string,
): SqlSite & { readonly plugin: string; readonly version: string } {
  const given: unknown = key; // from JavaScript callers too
  if (typeof given !== 'object' || given === null) throw invalidFormatArgument(`${where}: needs { plugin, version }`);
  const plugin = checkName(key.plugin, 'plugin', where);
  const version = checkName(key.version, 'version', where);
  return { fleetPhase, doing: `${doing} ${plugin} ${version}`, table: phasesTable(schemaOf(key)), plugin, version };
}

function memberOf(member: unknown, i: number): FleetMemberVersion {
  const m = member as Partial<FleetMemberVersion> | null;
  if (typeof m !== 'object' || m === null || typeof m.id !== 'string' || typeof m.version !== 'string')
    throw invalidFormatArgument(
      `switchFormatPhase: members[${i}] must be { id, version } (strings)`,
      undefined,
      'record',
    );
  return { id: m.id, version: m.version };
}
