/**
 * The statements of a CDC lease, each one round trip and atomic on its own. Every time is the
 * database's (`now()`), never a process's: processes' clocks may disagree, the server's is the one
 * every owner reads.
 */
import type { Queryable } from '../store/queryable.js';
import type { LeaseConfig } from './leaseOptions.js';

/** What an acquire or a renew granted. */
export interface LeaseGrant {
  /** The lease's fencing token. */
  readonly token: bigint;
  /** Until when it is held, by the database's clock. */
  readonly expiresAt: Date;
}

/** A lease row as it is, with the database's clock. */
export interface LeaseRow {
  readonly owner: string | null;
  readonly token: bigint;
  readonly expiresAt: Date;
  /** Whether it is held: an owner, and `expires_at > now()`. */
  readonly live: boolean;
  /** The database's `now()` when read. */
  readonly now: Date;
}

type Where = Pick<LeaseConfig, 'table' | 'stream' | 'owner' | 'ttlMs'>;

const TTL = `now() + make_interval(secs => $3::float8 / 1000)`;

/**
 * Takes the lease if it is free — no row, released (`owner` null) or expired (`expires_at <= now()`)
 * — bumping its token (1 for a new row); `undefined` when someone holds it. Waiting for the row
 * (a sink transaction share-locks it) is bounded by the session's `lock_timeout`.
 */
export async function acquireRow(client: Queryable, where: Where): Promise<LeaseGrant | undefined> {
  const result = await client.query<{ token: string; expires_at: Date }>(
    `INSERT INTO ${where.table} AS l (stream, owner, token, expires_at) VALUES ($1, $2, 1, ${TTL})
     ON CONFLICT (stream) DO UPDATE SET owner = excluded.owner, token = l.token + 1, expires_at = excluded.expires_at
       WHERE l.owner IS NULL OR l.expires_at <= now()
     RETURNING token::text AS token, expires_at`,
    [where.stream, where.owner, where.ttlMs],
  );
  const row = result.rows[0];
  return row && { token: BigInt(row.token), expiresAt: row.expires_at };
}

/**
 * Extends the lease to `now() + ttl` if the row still has this owner and token — also once expired,
 * if nobody took it meanwhile (the unchanged token says no other owner came in between); `undefined`
 * when it does not (another owner's token, or released).
 */
export async function renewRow(client: Queryable, where: Where, token: bigint): Promise<LeaseGrant | undefined> {
  const result = await client.query<{ expires_at: Date }>(
    `UPDATE ${where.table} SET expires_at = ${TTL} WHERE stream = $1 AND owner = $2 AND token = $4
     RETURNING expires_at`,
    [where.stream, where.owner, where.ttlMs, token.toString()],
  );
  const row = result.rows[0];
  return row && { token, expiresAt: row.expires_at };
}

/** Lets go of the lease (owner null, expired now; the token stays) if it still has this owner and token. */
export async function releaseRow(client: Queryable, where: Omit<Where, 'ttlMs'>, token: bigint): Promise<boolean> {
  const result = await client.query(
    `UPDATE ${where.table} SET owner = NULL, expires_at = now() WHERE stream = $1 AND owner = $2 AND token = $3`,
    [where.stream, where.owner, token.toString()],
  );
  return result.rowCount === 1;
}

/** The lease row of `stream` as it is (`undefined`: none yet). */
export async function readRow(
  client: Queryable,
  where: Pick<LeaseConfig, 'table' | 'stream'>,
): Promise<LeaseRow | undefined> {
  const result = await client.query<{
    owner: string | null;
    token: string;
    expires_at: Date;
    live: boolean;
    now: Date;
  }>(
    `SELECT owner, token::text AS token, expires_at, owner IS NOT NULL AND expires_at > now() AS live, now() AS now
       FROM ${where.table} WHERE stream = $1`,
    [where.stream],
  );
  const row = result.rows[0];
  return row && { owner: row.owner, token: BigInt(row.token), expiresAt: row.expires_at, live: row.live, now: row.now };
}

/** How a row reads in an error message. */
export function describeRow(row: LeaseRow | undefined): string {
  if (row === undefined) return 'there is no lease row';
  if (row.owner === null) return `the lease was released (token ${row.token})`;
  const left = row.expiresAt.getTime() - row.now.getTime();
  return `the lease is token ${row.token}, held by '${row.owner}' ${
    row.live ? `for another ${left} ms` : `until ${row.expiresAt.toISOString()} (expired ${-left} ms ago)`
  } by the database's clock`;
}
