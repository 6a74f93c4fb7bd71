/** Test helpers of the fencing tests: a database with the lease table, the database's clock moved on for one lease. */
import { isReloadError } from '@baton/core';
import { connect, testDatabase } from '../../__tests__/testDatabase.js';
import type { Queryable } from '../../store/queryable.js';
import { ensureLeaseSchema } from '../leaseSchema.js';

/** A new connection to `url` (ended by `await using`), or `client` as it is (left open). */
async function connectOr(url: string | Queryable): Promise<Queryable & AsyncDisposable> {
  if (typeof url === 'string') return await connect(url);
  const client = url;
  return { query: (text, values) => client.query(text, values), [Symbol.asyncDispose]: () => Promise.resolve() };
}

/** A fresh database on the shared server with `baton_fleet.cdc_leases`; returns its URL. */
export async function leaseDatabase(label: string): Promise<string> {
  const url = await testDatabase(label);
  await using client = await connect(url);
  await ensureLeaseSchema(client);
  return url;
}

/**
 * Moves the database's clock on by `ms` as far as the lease of `stream` is concerned: its
 * `expires_at` moves back by `ms` (every lease time is compared with `now()`, so this is the same).
 */
export async function advance(url: string | Queryable, stream: string, ms: number): Promise<void> {
  await using client = await connectOr(url);
  await client.query(
    `UPDATE baton_fleet.cdc_leases SET expires_at = expires_at - make_interval(secs => $2::float8 / 1000) WHERE stream = $1`,
    [stream, ms],
  );
}

/** The lease row of `stream`, with whether it is live by the database's clock. */
export async function leaseRow(
  url: string | Queryable,
  stream: string,
): Promise<{ owner: string | null; token: bigint; live: boolean; now: Date } | undefined> {
  await using client = await connectOr(url);
  const { rows } = await client.query<{ owner: string | null; token: string; live: boolean; now: Date }>(
    `SELECT owner, token::text AS token, owner IS NOT NULL AND expires_at > now() AS live, now() AS now
       FROM baton_fleet.cdc_leases WHERE stream = $1`,
    [stream],
  );
  const row = rows[0];
  return row && { ...row, token: BigInt(row.token) };
}

/** The error code a promise rejects with, or `resolved`. */
export const codeOf = (promise: Promise<unknown>): Promise<string> =>
  promise.then(
    () => 'resolved',
    (error: unknown) => (isReloadError(error) ? error.code : String(error)),
  );

/**
 * `url` as "process `n`" sees it: the sink's registry of writers in this process is keyed by URL,
 * so writers on URLs that differ in a harmless parameter behave as writers of different processes
 * (a newer one does not fence an older one in memory: only the database can).
 */
export function processUrl(url: string, n: number): string {
  const other = new URL(url);
  other.searchParams.set('connect_timeout', String(30 + n));
  return other.href;
}
