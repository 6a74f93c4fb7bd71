import pg from 'pg';

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
