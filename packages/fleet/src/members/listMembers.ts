import { withPg } from '../store/fleetErrors.js';
import type { Queryable } from '../store/queryable.js';
import { parseMemberRow } from '../store/rowParsing.js';
import type { MemberRow } from '../store/rows.js';
import { fleetNames } from '../store/schemaName.js';
import { checkMs } from '../store/checks.js';

/** A member and whether it is live, by the database's clock. */
export interface MemberStatus extends MemberRow {
  /** It has not left, and its last heartbeat is younger than `staleAfterMs` (the database's `now()`). */
  readonly live: boolean;
}

/** Options of {@link listMembers}. */
export interface ListMembersOptions {
  /** Only the members of this plugin (default: every member). */
  readonly plugin?: string;
  /** A member whose last heartbeat is older than this is not live (milliseconds, default 10 000). */
  readonly staleAfterMs?: number;
  /** Only live members (default false). */
  readonly liveOnly?: boolean;
  readonly schema?: string;
}

/**
 * The fleet's members, by id, each with `live`: it has not left and `heartbeat_at > now() -
 * staleAfter`, both by the database's clock (the processes' clocks never decide). One round trip.
 */
export async function listMembers(client: Queryable, options: ListMembersOptions = {}): Promise<MemberStatus[]> {
  const { members } = fleetNames(options.schema);
  const staleAfterMs = checkMs(options.staleAfterMs ?? 10_000, 'staleAfterMs', 'members');
  const { rows } = await withPg({ fleetPhase: 'members', message: 'reading the fleet members' }, () =>
    client.query(
      `SELECT *, (left_at IS NULL AND heartbeat_at > now() - make_interval(secs => $2::float8 / 1000)) AS live
         FROM ${members}
        WHERE ($1::text IS NULL OR plugin = $1)
        ORDER BY id`,
      [options.plugin ?? null, staleAfterMs],
    ),
  );
  const all = rows.map((row) => ({ ...parseMemberRow(row), live: row['live'] === true }));
  return options.liveOnly === true ? all.filter((member) => member.live) : all;
}
