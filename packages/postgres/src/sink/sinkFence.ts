/**
 * Lease fencing of a sink writer: a writer started with `fence` carries the fencing token of a lease
 * row (`@baton/fleet`'s `cdc_leases`: `stream`, `owner`, `token`) and checks it **inside every
 * transaction** that claims the output, writes a batch or reads the checkpoint — `SELECT token, owner
 * … WHERE stream = $1 FOR SHARE`, for a batch or a checkpoint in the very statement that locks the
 * offsets row (no round trip of its own). A writer whose token is no longer
 * the row's (a newer owner acquired the lease, bumping the token) or whose lease was released is
 * fenced: `LOCKED`, the transaction rolled back, nothing written. The share lock makes the check
 * hold until the commit: a new owner's acquire (an `UPDATE` of the row) waits for a write in flight,
 * and a write that starts after the acquire reads the new token.
 *
 * Why a fenced writer takes no session advisory lock (see `writerLock.ts`): that lock belongs to a
 * server session, and a paused (SIGSTOP) or partitioned process keeps its session — so the lock —
 * for as long as its TCP connection looks alive to the server, which left a new owner `LOCKED`
 * however long ago the old one's lease expired. Under a lease, the lease is the lock: exclusion is
 * the lease table's (one live owner per stream), safety is the token check, and a new owner starts
 * as soon as it holds the lease, whatever state the old session is in. `pg_terminate_backend` of the
 * old holder was the other way; it was not chosen because it needs the right to signal the other
 * session (superuser, `pg_signal_backend`, or the same role), ends whatever else that session was
 * doing, and still leaves a window between the kill and the new start. The one thing a paused
 * session can still hold is the lease row's share lock, when it was paused inside a transaction:
 * the writer's session therefore runs with `idle_in_transaction_session_timeout`
 * (`idleInTransactionTimeoutMs`, default 5 s), so the server itself ends such a session and frees
 * the row; meanwhile the new owner's acquire waits or is `LOCKED` (retryable).
 *
 * The lease table must be in the sink's database (the check is part of the sink's transaction).
 */
import pg from 'pg';
import { ReloadError } from '@baton/core';
import type { SinkConfig } from './sinkOptions.js';
import { sinkError } from './sinkErrors.js';

/** The `fence` option of `postgresCdcOutput`: the lease a writer's fencing token belongs to. */
export interface SinkFenceOptions {
  /** The lease row's key (`stream` of the lease table). */
  readonly stream: string;
  /**
   * The writer's fencing token, a bigint ≥ 1: a value, or a function read at each `start` (e.g.
   * `() => lease.token`), so a provider made once starts each writer with the lease's current token.
   */
  readonly token: bigint | (() => bigint);
  /** Schema of the lease table (default `baton_fleet`). */
  readonly schema?: string;
  /** Name of the lease table (default `cdc_leases`). */
  readonly table?: string;
  /**
   * `idle_in_transaction_session_timeout` of the writer's session in ms (default 5000; 0 keeps the
   * server's): a writer paused inside a transaction has its session ended by the server, which lets
   * go of the lease row so a new owner can acquire it.
   */
  readonly idleInTransactionTimeoutMs?: number;
}

/** The checked `fence` option. */
export interface SinkFence {
  /** The lease row's key. */
  readonly stream: string;
  /** Schema of the lease table. */
  readonly schema: string;
  /** Name of the lease table. */
  readonly table: string;
  /** Reads the token for a `start` (checked there: a bigint ≥ 1). */
  readonly token: () => bigint;
  /** The writer session's `idle_in_transaction_session_timeout` in ms (0: the server's). */
  readonly idleInTransactionTimeoutMs: number;
}

/** Where a fenced writer's lease is, and its token (what a takeover of a fenced writer carries). */
export interface SinkLeasePlace {
  readonly schema: string;
  readonly table: string;
  readonly stream: string;
  /** The writer's fencing token. */
  readonly token: bigint;
}

const KNOWN = ['stream', 'token', 'schema', 'table', 'idleInTransactionTimeoutMs'];
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** Checks the `fence` option; `invalid(message)` makes the `INVALID_ARGUMENT` naming what is wrong. */
export function checkFenceOptions(value: unknown, invalid: (message: string) => ReloadError): SinkFence {
  if (typeof value !== 'object' || value === null) throw invalid('fence must be an object { stream, token }');
  const unknown = Object.keys(value).filter((key) => !KNOWN.includes(key));
  if (unknown.length > 0)
    throw invalid(`fence has unknown option(s) ${unknown.join(', ')} (known: ${KNOWN.join(', ')})`);
  const raw = value as Record<string, unknown>;
  const { stream, token } = raw;
  const schema = raw['schema'] ?? 'baton_fleet';
  const table = raw['table'] ?? 'cdc_leases';
  const idle = raw['idleInTransactionTimeoutMs'] ?? 5000;
  if (typeof stream !== 'string' || stream === '' || stream.length > 200)
    throw invalid('fence.stream must be a non-empty string of at most 200 characters');
  if (typeof token === 'bigint') {
    if (token < 1n) throw invalid('fence.token must be a bigint >= 1');
  } else if (typeof token !== 'function')
    throw invalid('fence.token must be a bigint >= 1 or a function returning one');
  if (typeof schema !== 'string' || !IDENTIFIER.test(schema))
    throw invalid('fence.schema must be a lower-case SQL identifier');
  if (typeof table !== 'string' || !IDENTIFIER.test(table))
    throw invalid('fence.table must be a lower-case SQL identifier');
  if (typeof idle !== 'number' || !Number.isSafeInteger(idle) || idle < 0 || idle > 2_147_483_647)
    throw invalid('fence.idleInTransactionTimeoutMs must be an integer number of milliseconds >= 0');
  const read = typeof token === 'bigint' ? () => token : (token as () => unknown);
  return { stream, schema, table, token: read as () => bigint, idleInTransactionTimeoutMs: idle };
}

/** The token a `start` runs under: `fence.token()`, checked (`INVALID_ARGUMENT` unless a bigint ≥ 1). */
export function startToken(config: SinkConfig, fence: SinkFence): bigint {
  let token: unknown;
  try {
    token = fence.token();
  } catch (error) {
    throw sinkError('INVALID_ARGUMENT', config.name, 'start', 'fence.token() threw', error);
  }
  if (typeof token !== 'bigint' || token < 1n)
    throw sinkError(
      'INVALID_ARGUMENT',
      config.name,
      'start',
      `fence.token() must return a bigint >= 1 (got ${String(token)})`,
    );
  return token;
}

/** The lease of a fenced writer with `token`. */
export function leasePlace(fence: SinkFence, token: bigint): SinkLeasePlace {
  return { schema: fence.schema, table: fence.table, stream: fence.stream, token };
}

/** The quoted name of the lease table. */
const leaseTable = (place: Pick<SinkLeasePlace, 'schema' | 'table'>): string =>
  `${pg.escapeIdentifier(place.schema)}.${pg.escapeIdentifier(place.table)}`;

/** The lease row as {@link leaseRowQuery} reads it (`undefined`: there is none). */
export interface LeaseRow {
  readonly token: string;
  readonly owner: string | null;
}

/**
 * The query that share-locks the lease row of `place.stream` (parameter `$<param>`) and reads its
 * `token` (as text) and `owner`: on its own for a `start`, and as a sub-select of the statement that
 * locks the offsets row for a `deliver` or `checkpoint`, so the check costs no round trip of its own.
 */
export function leaseRowQuery(place: SinkLeasePlace, param: number): string {
  return `SELECT token::text AS token, owner FROM ${leaseTable(place)} WHERE stream = $${param} FOR SHARE`;
}

/**
 * The `LOCKED` error of a writer whose lease `row` (read by {@link leaseRowQuery} in its
 * transaction) no longer holds `place.token` or has no owner — naming the row's token and owner,
 * with `details.fenced` true — or `undefined` while the lease is still the writer's.
 */
export function leaseFenced(
  config: SinkConfig,
  place: SinkLeasePlace,
  row: LeaseRow | undefined,
  step: string,
): ReloadError | undefined {
  if (row !== undefined && row.owner !== null && row.token === String(place.token)) return undefined;
  const now =
    row === undefined
      ? 'has no row'
      : row.owner === null
        ? `was released (token ${row.token})`
        : `is now token ${row.token}, held by '${row.owner}'`;
  return new ReloadError({
    code: 'LOCKED',
    phase: 'call',
    kind: 'cdcOutput',
    key: config.name,
    step,
    message: `CDC '${config.name}': this writer (lease token ${place.token} of stream '${place.stream}') was fenced off: the lease ${now} in ${leaseTable(place)}; its transaction was rolled back and wrote nothing`,
    details: {
      fenced: true,
      stream: place.stream,
      token: place.token,
      leaseToken: row === undefined ? null : BigInt(row.token),
      leaseOwner: row?.owner ?? null,
    },
  });
}

/**
 * Inside the caller's transaction: share-locks the lease row of `place.stream` and checks that it
 * still holds `place.token` and has an owner; else {@link leaseFenced}'s `LOCKED`. A missing lease
 * table is `INVALID_ARGUMENT` (SQLSTATE 42P01, reported by the caller).
 */
export async function verifyLease(
  client: pg.Client,
  config: SinkConfig,
  place: SinkLeasePlace,
  step: string,
): Promise<void> {
  const result = await client.query<LeaseRow>(leaseRowQuery(place, 1), [place.stream]);
  const fenced = leaseFenced(config, place, result.rows[0], step);
  if (fenced !== undefined) throw fenced;
}
