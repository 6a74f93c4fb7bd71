import { withPg } from '../store/fleetErrors.js';
import type { Queryable } from '../store/queryable.js';
import { parseFigures } from '../store/rowParsing.js';
import type { MemberFigures } from '../store/rows.js';
import type { FleetNames } from '../store/schemaName.js';
import { GATE_FIGURES } from './rolloutPolicy.js';
import type { GateLimits } from './rolloutPolicy.js';

/** A figure of an upgraded member over its limit. */
export interface GateViolation {
  readonly member: string;
  readonly figure: keyof GateLimits;
  /** The figure: an increase since the member's reload began (failed calls, refusals), or its value. */
  readonly value: number;
  readonly limit: number;
}

/** An upgraded member's figures now, and when its reload began (the baseline of the counters). */
export interface GateReading {
  readonly member: string;
  readonly figures: MemberFigures;
  readonly before: MemberFigures | undefined;
}

/**
 * The violations of `limits` by the upgraded members: failed calls and refusals counted since each
 * member's reload began (a counter that went down — the process restarted — counts all it holds), pause
 * and CDC lag as they are now. `bystanders` are the live members not moved yet, their `before` the
 * figures they had when this coordinator started running the rollout: only their failed calls are
 * judged (a new version can break the members still on the old one — states they cannot read —
 * while every upgraded member looks healthy). Empty: the gate passes.
 */
export function evaluateGate(
  readings: readonly GateReading[],
  limits: GateLimits,
  bystanders: readonly GateReading[] = [],
): GateViolation[] {
  const bystanderLimits: GateLimits = limits.failedCalls === undefined ? {} : { failedCalls: limits.failedCalls };
  return [...violationsOf(bystanders, bystanderLimits), ...violationsOf(readings, limits)];
}

/**
 * How much a counter grew since `before`: a counter that went down (the process restarted and
 * counts from 0 again) grew by all it holds now, so failures after a restart are never hidden.
 */
const since = (now: number, before = 0): number => (now >= before ? now - before : now);

/** The figures of `readings` over `limits`: counters since `before` (from 0 if they went down), the rest as they are. */
function violationsOf(readings: readonly GateReading[], limits: GateLimits): GateViolation[] {
  const violations: GateViolation[] = [];
  for (const { member, figures, before } of readings) {
    const values: Record<keyof GateLimits, number> = {
      failedCalls: since(figures.failedCalls, before?.failedCalls),
      refusals: since(figures.refusals, before?.refusals),
      pauseMs: figures.lastPauseMs,
      cdcLagMs: figures.cdcLagMs,
    };
    for (const figure of GATE_FIGURES) {
      const limit = limits[figure];
      if (limit !== undefined && values[figure] > limit)
        violations.push({ member, figure, value: values[figure], limit });
    }
  }
  return violations;
}

/** A member's figures as the gate reads them. */
export interface MemberReading {
  readonly member: string;
  readonly figures: MemberFigures;
  /** Its last heartbeat came after `since`. */
  readonly fresh: boolean;
  readonly live: boolean;
}

/**
 * Reads the figures of `members` and whether each sent them after `since` (a `timestamptz` as the
 * database printed it; both by the database's clock). One round trip.
 */
export async function readMemberFigures(
  client: Queryable,
  names: FleetNames,
  members: readonly string[],
  since: string,
  staleAfterMs: number,
): Promise<MemberReading[]> {
  const { rows } = await withPg({ fleetPhase: 'gate', message: 'reading the upgraded members’ figures' }, () =>
    client.query<{ id: string; figures: unknown; fresh: boolean; live: boolean }>(
      `SELECT id, figures, heartbeat_at > $2::timestamptz AS fresh,
              (left_at IS NULL AND heartbeat_at > now() - make_interval(secs => $3::float8 / 1000)) AS live
         FROM ${names.members} WHERE id = ANY($1::text[])`,
      [members, since, staleAfterMs],
    ),
  );
  return rows.map((row) => ({ member: row.id, figures: parseFigures(row.figures), fresh: row.fresh, live: row.live }));
}

/**
 * Asks `members` to report their figures now: a notification their agents answer with a heartbeat
 * (and a notification back, which wakes the coordinator). Returns the database's time of the
 * request: the figures the gate reads must be younger. One round trip.
 */
export async function requestReports(
  client: Queryable,
  names: FleetNames,
  rolloutId: string,
  members: readonly string[],
): Promise<string> {
  const { rows } = await withPg(
    { fleetPhase: 'gate', key: `rollout ${rolloutId}`, message: 'asking for figures' },
    () =>
      client.query<{ now: string }>('SELECT now()::text AS now, pg_notify($1, $2) AS sent', [
        names.channel,
        JSON.stringify({ report: members, for: rolloutId }),
      ]),
  );
  return rows[0]!.now;
}
