import { createHash } from 'node:crypto';
import { fleetError } from './fleetErrors.js';
import type { FleetPhase } from './fleetErrors.js';
import type { Queryable } from './queryable.js';

/**
 * The 64-bit advisory lock key of a fleet resource (`schema`, `rollout`, `member`) named `name`: the
 * first 8 bytes of a sha256, as the decimal string of a signed bigint (collisions are negligible,
 * unlike `hashtext`'s 32 bits).
 */
export function advisoryKey(what: 'schema' | 'rollout' | 'member', name: string): string {
  const digest = createHash('sha256').update(`baton-fleet:${what}:${name}`).digest();
  return digest.readBigInt64BE(0).toString();
}

/**
 * Takes the session-level advisory lock `key` on `client`'s session, or throws `LOCKED` naming the
 * PostgreSQL backend (and its application name) that holds it. The lock lasts until the session
 * ends — a crashed process's lock goes with its connection — or {@link unlockKey}.
 */
export async function lockKey(
  client: Queryable,
  key: string,
  what: { readonly fleetPhase: FleetPhase; readonly message: string; readonly plugin?: string; readonly key?: string },
): Promise<void> {
  const taken = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [key]);
  if (taken.rows[0]?.ok === true) return;
  const holder = await client.query<{ pid: number; application_name: string; since: string }>(
    `SELECT a.pid, a.application_name, a.backend_start::text AS since
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND ((l.classid::bigint << 32) | l.objid::bigint) = $1::bigint`,
    [key],
  );
  const row = holder.rows[0];
  const who = row
    ? `PostgreSQL backend ${row.pid} ('${row.application_name}', connected since ${row.since})`
    : 'a session that let go just now';
  throw fleetError({
    code: 'LOCKED',
    fleetPhase: what.fleetPhase,
    ...(what.plugin === undefined ? {} : { plugin: what.plugin }),
    ...(what.key === undefined ? {} : { key: what.key }),
    message: `${what.message}: held by ${who}`,
    details: row === undefined ? {} : { holderPid: row.pid, holderApplication: row.application_name },
  });
}

/** Releases a session-level advisory lock taken by {@link lockKey} (true if it was held). */
export async function unlockKey(client: Queryable, key: string): Promise<boolean> {
  const released = await client.query<{ ok: boolean }>('SELECT pg_advisory_unlock($1::bigint) AS ok', [key]);
  return released.rows[0]?.ok === true;
}
