import { fleetError, sqlStateOf, withPg } from '../store/fleetErrors.js';
import type { Queryable } from '../store/queryable.js';
import { parseCommandRow, parseRolloutRow } from '../store/rowParsing.js';
import type { ArtifactRef, CommandRow, RolloutRow } from '../store/rows.js';
import type { FleetNames } from '../store/schemaName.js';
import type { CommandIntent, HaltReason, RolloutSummary } from './nextMove.js';
import type { RolloutPolicy } from './rolloutPolicy.js';

/** What a new rollout row holds. */
export interface NewRollout {
  readonly plugin: string;
  readonly action: 'reload' | 'format';
  readonly fromArtifact: ArtifactRef;
  readonly artifact: ArtifactRef;
  readonly policy: RolloutPolicy;
  readonly plan: readonly (readonly string[])[];
}

/**
 * Inserts a `running` rollout. The unique partial index refuses a second active rollout of the
 * plugin: `LOCKED`, naming the plugin.
 */
export async function createRollout(client: Queryable, names: FleetNames, rollout: NewRollout): Promise<RolloutRow> {
  const { plugin } = rollout;
  const { rows } = await withPg({ fleetPhase: 'plan', plugin, message: 'creating the rollout' }, async () => {
    try {
      return await client.query(
        `INSERT INTO ${names.rollouts}
                (plugin, action, from_version, to_version, from_artifact, artifact, policy, plan, phase)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'step 1/' || jsonb_array_length($8::jsonb)) RETURNING *`,
        [
          plugin,
          rollout.action,
          rollout.fromArtifact.version,
          rollout.artifact.version,
          rollout.fromArtifact,
          rollout.artifact,
          rollout.policy,
          JSON.stringify(rollout.plan),
        ],
      );
    } catch (error) {
      if (sqlStateOf(error) !== '23505') throw error;
      throw fleetError({
        code: 'LOCKED',
        fleetPhase: 'plan',
        plugin,
        message: `another rollout of plugin '${plugin}' is active`,
        cause: error,
      });
    }
  });
  return parseRolloutRow(rows[0]!);
}

/** The plugin's active (`running` or `halting`) rollout, if any. */
export async function activeRollout(
  client: Queryable,
  names: FleetNames,
  plugin: string,
): Promise<RolloutRow | undefined> {
  const { rows } = await withPg({ fleetPhase: 'resume', plugin, message: 'reading the active rollout' }, () =>
    client.query(`SELECT * FROM ${names.rollouts} WHERE plugin = $1 AND state IN ('running', 'halting')`, [plugin]),
  );
  return rows[0] === undefined ? undefined : parseRolloutRow(rows[0]);
}

/** What one observation of a rollout reads: its commands, which planned members are live, the database's time. */
export interface Observation {
  readonly commands: readonly CommandRow[];
  readonly live: ReadonlySet<string>;
  /** `now()` as the database printed it. */
  readonly now: string;
}

/** Reads a rollout's commands and its planned members' liveness in one round trip. */
export async function observeRollout(
  client: Queryable,
  names: FleetNames,
  rolloutId: string,
  members: readonly string[],
  staleAfterMs: number,
): Promise<Observation> {
  const { rows } = await withPg(
    { fleetPhase: 'wait', key: `rollout ${rolloutId}`, message: 'reading the rollout' },
    () =>
      client.query<{ commands: Record<string, unknown>[]; live: string[]; now: string }>(
        `SELECT (SELECT coalesce(json_agg(c ORDER BY c.id), '[]') FROM ${names.commands} c WHERE c.rollout_id = $1) AS commands,
              (SELECT coalesce(array_agg(m.id), '{}') FROM ${names.members} m
                WHERE m.id = ANY($2::text[]) AND m.left_at IS NULL
                  AND m.heartbeat_at > now() - make_interval(secs => $3::float8 / 1000)) AS live,
              now()::text AS now`,
        [rolloutId, members, staleAfterMs],
      ),
  );
  const row = rows[0]!;
  return { commands: row.commands.map(parseCommandRow), live: new Set(row.live), now: row.now };
}

/**
 * Issues commands: `INSERT … ON CONFLICT DO NOTHING` (one per rollout, member and seq: issuing again
 * after a restart is a no-op), and sets the rollout's phase text, in one statement. A skipped intent
 * is inserted already `lost`. Returns the rows inserted.
 */
export async function issueCommands(
  client: Queryable,
  names: FleetNames,
  rolloutId: string,
  intents: readonly CommandIntent[],
  phase: string,
): Promise<CommandRow[]> {
  const { rows } = await withPg({ fleetPhase: 'issue', key: `rollout ${rolloutId}`, message: 'issuing commands' }, () =>
    client.query(
      `WITH phase AS (UPDATE ${names.rollouts} SET phase = $3, updated_at = now() WHERE id = $1)
       INSERT INTO ${names.commands} (rollout_id, member_id, seq, action, artifact, state, ended_at, result)
       SELECT $1, t.member, t.seq, t.action, t.artifact,
              CASE WHEN t.skipped IS NULL THEN 'pending' ELSE 'lost' END,
              CASE WHEN t.skipped IS NULL THEN NULL ELSE now() END,
              CASE WHEN t.skipped IS NULL THEN NULL ELSE jsonb_build_object('outcome', 'lost', 'reason', t.skipped) END
         FROM jsonb_to_recordset($2::jsonb) AS t(member text, seq int, action text, artifact jsonb, skipped text)
       ON CONFLICT (rollout_id, member_id, seq) DO NOTHING
       RETURNING *`,
      [rolloutId, JSON.stringify(intents), phase],
    ),
  );
  return rows.map(parseCommandRow);
}

/**
 * Ends commands the coordinator gives up on: `cancelled` (only while still pending: an agent that
 * claimed one first keeps it) or `lost` (pending or running). Returns the rows changed.
 */
export async function endCommands(
  client: Queryable,
  names: FleetNames,
  ids: readonly string[],
  state: 'lost' | 'cancelled',
  reason: string,
): Promise<CommandRow[]> {
  const from = state === 'cancelled' ? ['pending'] : ['pending', 'running'];
  const { rows } = await withPg({ fleetPhase: 'halt', message: `marking commands ${state}` }, () =>
    client.query(
      `UPDATE ${names.commands} SET state = $2, ended_at = now(),
              result = jsonb_build_object('outcome', $2::text, 'reason', $3::text)
        WHERE id = ANY($1::bigint[]) AND state = ANY($4::text[]) RETURNING *`,
      [ids, state, reason, from],
    ),
  );
  return rows.map(parseCommandRow);
}

/** Records the decision to halt (`running` → `halting`, with the reason). Returns the row. */
export async function setHalting(
  client: Queryable,
  names: FleetNames,
  rolloutId: string,
  reason: HaltReason,
): Promise<RolloutRow | undefined> {
  const { rows } = await withPg(
    { fleetPhase: 'halt', key: `rollout ${rolloutId}`, message: 'halting the rollout' },
    () =>
      client.query(
        `UPDATE ${names.rollouts} SET state = 'halting', halted_reason = $2, phase = 'rolling back', updated_at = now()
        WHERE id = $1 AND state = 'running' RETURNING *`,
        [rolloutId, reason],
      ),
  );
  return rows[0] === undefined ? undefined : parseRolloutRow(rows[0]);
}

/** Ends a rollout: `done`, or `halted` with the summary of its rollback added to the reason. */
export async function finishRollout(
  client: Queryable,
  names: FleetNames,
  rolloutId: string,
  status: 'done' | 'halted',
  summary: RolloutSummary,
): Promise<RolloutRow | undefined> {
  const { rows } = await withPg(
    { fleetPhase: 'halt', key: `rollout ${rolloutId}`, message: `ending the rollout` },
    () =>
      client.query(
        `UPDATE ${names.rollouts}
          SET state = $2, phase = $2, updated_at = now(),
              halted_reason = CASE WHEN $2 = 'halted' THEN coalesce(halted_reason, '{}') || $3::jsonb ELSE halted_reason END
        WHERE id = $1 AND state IN ('running', 'halting') RETURNING *`,
        [rolloutId, status, summary],
      ),
  );
  return rows[0] === undefined ? undefined : parseRolloutRow(rows[0]);
}
