import { hostname } from 'node:os';
import { ReloadError } from '@baton/core';
import type pg from 'pg';
import { LOCK_CLASS, lockKey } from './sinkTables.js';
import type { SinkConfig } from './sinkOptions.js';

/** A stream (or a pending takeover) that holds a sink in this process; a newer start fences it. */
export interface SinkHolder {
  /** Stops the holder from writing, waits for its call in flight, and releases its lock and connection. */
  fence(): Promise<void>;
}

/**
 * The holders in this process, by sink (database, tables, output). The map lives on `globalThis`
 * under a `Symbol.for` key, so two copies of this package in one process (an old and a new plugin
 * version) see one registry: a start of either fences the other's stream, and a takeover moves
 * the entry from the detached stream to its adopter.
 */
const REGISTRY = Symbol.for('@baton/postgres.sinkHolders');

function holders(): Map<string, SinkHolder> {
  const host = globalThis as unknown as Record<symbol, Map<string, SinkHolder> | undefined>;
  return (host[REGISTRY] ??= new Map<string, SinkHolder>());
}

/** Who holds a sink in this process, keyed by where the sink is. */
export const sinkHolders = {
  key(config: SinkConfig): string {
    const url = new URL(config.url);
    url.password = '';
    return `${url.href}|${config.schema}.${config.tablePrefix}|${config.output}`;
  },
  get(key: string): SinkHolder | undefined {
    return holders().get(key);
  },
  set(key: string, holder: SinkHolder): void {
    holders().set(key, holder);
  },
  /** Forgets `holder` if it still holds `key`. */
  release(key: string, holder: SinkHolder): void {
    if (holders().get(key) === holder) holders().delete(key);
  },
  /** Hands `key` from `from` to `to`; false (nothing changed) when `from` does not hold it. */
  transfer(key: string, from: SinkHolder, to: SinkHolder): boolean {
    if (holders().get(key) !== from) return false;
    holders().set(key, to);
    return true;
  },
};

/** The advisory lock of one sink output (session level, held by its writer's connection). */
function writerLockKeys(config: SinkConfig): [number, number] {
  return [LOCK_CLASS, lockKey(`${config.schema}.${config.tablePrefix}:${config.output}`)];
}

/** What a writer records as the holder of a sink: this process, on this host, for this output. */
export function holderText(config: SinkConfig): string {
  return `pid ${process.pid} on ${hostname()} (output '${config.name}')`;
}

/**
 * Takes the sink's advisory lock on `client`'s session, or throws `LOCKED` naming the server process
 * that holds it (its application name says which Baton process) and who last started a writer.
 * `scope: 'transaction'` takes it for the caller's transaction only: what a lease-fenced start does
 * (see `sinkFence.ts`), so that it is `LOCKED` while a writer without a fence holds the output.
 */
export async function takeWriterLock(
  client: pg.Client,
  config: SinkConfig,
  lastHolder?: string,
  scope: 'session' | 'transaction' = 'session',
): Promise<void> {
  const [classId, objectId] = writerLockKeys(config);
  const taken = await client.query<{ ok: boolean }>(
    `SELECT ${scope === 'session' ? 'pg_try_advisory_lock' : 'pg_try_advisory_xact_lock'}($1, $2) AS ok`,
    [classId, objectId],
  );
  if (taken.rows[0]?.ok === true) return;
  const holder = await client.query<{ pid: number; application_name: string; since: string }>(
    `SELECT a.pid, a.application_name, a.backend_start::text AS since
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND l.classid::bigint = $1 AND l.objid::bigint = $2`,
    [classId, objectId >>> 0],
  );
  const row = holder.rows[0];
  const who = row
    ? `PostgreSQL backend ${row.pid} ('${row.application_name}', connected since ${row.since})`
    : 'a session that let go just now';
  throw new ReloadError({
    code: 'LOCKED',
    phase: 'call',
    kind: 'cdcOutput',
    key: config.name,
    step: 'start',
    message:
      `CDC '${config.name}': sink output '${config.output}' is held by another live writer: ${who}` +
      `${lastHolder === undefined ? '' : `; the last writer started was ${lastHolder}`}. Stop it, or wait for it to end`,
    details: { holder: row ?? null },
  });
}

/** Lets go of the sink's advisory lock on `client`'s session. */
export async function releaseWriterLock(client: pg.Client, config: SinkConfig): Promise<void> {
  await client.query('SELECT pg_advisory_unlock($1, $2)', writerLockKeys(config));
}
