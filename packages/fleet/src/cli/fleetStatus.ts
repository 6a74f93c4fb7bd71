import { listMembers } from '../members/listMembers.js';
import { FORWARD_SEQ, ROLLBACK_SEQ } from '../rollout/rolloutState.js';
import type { MemberStatus } from '../members/listMembers.js';
import { show } from '../store/checks.js';
import { fleetError, withPg } from '../store/fleetErrors.js';
import type { Queryable } from '../store/queryable.js';
import { parseCommandRow, parseRolloutRow } from '../store/rowParsing.js';
import type { CommandRow, RolloutRow } from '../store/rows.js';
import { fleetNames } from '../store/schemaName.js';

/** One rollout and how far it went: its rows, and counts made from them. */
export interface RolloutProgress {
  readonly rollout: RolloutRow;
  /** Its commands, oldest first. */
  readonly commands: readonly CommandRow[];
  /** Planned members whose forward command ended `done`. */
  readonly moved: number;
  /** Members in the plan. */
  readonly planned: number;
  /** Steps of the plan whose every member moved. */
  readonly stepsDone: number;
  /** Members a rollback command ended `done` on. */
  readonly rolledBack: number;
}

/** The fleet as its rows say, read in four round trips (see {@link readFleetStatus}). */
export interface FleetStatus {
  /** The database's clock when read (heartbeat ages are measured against it). */
  readonly now: Date;
  readonly members: readonly MemberStatus[];
  /** The latest rollouts, newest first. */
  readonly rollouts: readonly RolloutProgress[];
}

/** Options of {@link readFleetStatus}. */
export interface FleetStatusOptions {
  readonly schema?: string;
  /** Only this plugin's members and rollouts. */
  readonly plugin?: string;
  /** How many of the latest rollouts, 1 to 1000 (default 3). */
  readonly rollouts?: number;
  /** A member whose last heartbeat is older is not live (ms, default 10 000). */
  readonly staleAfterMs?: number;
}

/** How far `rollout` went, from its commands. */
function progressOf(rollout: RolloutRow, commands: readonly CommandRow[]): RolloutProgress {
  const movedIds = new Set(commands.filter((c) => c.seq === FORWARD_SEQ && c.state === 'done').map((c) => c.memberId));
  const planned = rollout.plan.reduce((n, step) => n + step.length, 0);
  return {
    rollout,
    commands,
    moved: movedIds.size,
    planned,
    stepsDone: rollout.plan.filter((step) => step.every((id) => movedIds.has(id))).length,
    rolledBack: commands.filter((c) => c.seq === ROLLBACK_SEQ && c.state === 'done').length,
  };
}

/**
 * Reads the fleet's members (with liveness by the database's clock), the latest rollouts and their
 * commands. Read-only: it takes no lock and may run while rollouts do. `INVALID_ARGUMENT` for a
 * `rollouts` count outside 1 to 1000 (before any query), `IO_FAILED` when PostgreSQL fails.
 */
export async function readFleetStatus(client: Queryable, options: FleetStatusOptions = {}): Promise<FleetStatus> {
  const names = fleetNames(options.schema);
  const limit = options.rollouts ?? 3;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    throw fleetError({
      code: 'INVALID_ARGUMENT',
      fleetPhase: 'members',
      message: `rollouts must be a whole number from 1 to 1000 (got ${show(limit)})`,
    });
  const { rows: clock } = await withPg({ fleetPhase: 'members', message: "reading the database's clock" }, () =>
    client.query<{ now: Date }>('SELECT now() AS now'),
  );
  const now = clock[0]?.now ?? new Date();
  const members = await listMembers(client, {
    ...(options.plugin === undefined ? {} : { plugin: options.plugin }),
    ...(options.staleAfterMs === undefined ? {} : { staleAfterMs: options.staleAfterMs }),
    ...(options.schema === undefined ? {} : { schema: options.schema }),
  });
  const { rows } = await withPg({ fleetPhase: 'resume', message: 'reading the latest rollouts' }, () =>
    client.query(`SELECT * FROM ${names.rollouts} WHERE ($1::text IS NULL OR plugin = $1) ORDER BY id DESC LIMIT $2`, [
      options.plugin ?? null,
      limit,
    ]),
  );
  const rollouts = rows.map((row) => parseRolloutRow(row));
  const { rows: commandRows } = await withPg({ fleetPhase: 'resume', message: 'reading the rollouts’ commands' }, () =>
    client.query(`SELECT * FROM ${names.commands} WHERE rollout_id = ANY($1::bigint[]) ORDER BY id`, [
      rollouts.map((r) => r.id),
    ]),
  );
  const commands = commandRows.map((row) => parseCommandRow(row));
  return {
    now,
    members,
    rollouts: rollouts.map((r) =>
      progressOf(
        r,
        commands.filter((c) => c.rolloutId === r.id),
      ),
    ),
  };
}
