import { postgresServer } from '@baton/postgres';
import type { PostgresServer } from '@baton/postgres';

/**
 * The embedded PostgreSQL the PostgreSQL rows share, started on first use and stopped by
 * {@link BenchPostgres.stop} (main.ts awaits it in a `finally`, so a failed row stops it too; on
 * Ctrl-C or SIGTERM `postgresServer`'s own exit hook stops it before the process exits). With
 * `BATON_BENCH_PG_URL` set, an existing server is used instead and left running.
 */
export class BenchPostgres implements AsyncDisposable {
  #server: Promise<PostgresServer> | undefined;

  /** The server, started (or reached) the first time it is asked for. */
  server(): Promise<PostgresServer> {
    const url = process.env['BATON_BENCH_PG_URL'];
    this.#server ??= postgresServer(url === undefined || url === '' ? {} : { url });
    return this.#server;
  }

  /** Whether a server was asked for (and so must be stopped). */
  get started(): boolean {
    return this.#server !== undefined;
  }

  /** Stops an embedded server and removes its directory; a no-op when none was started. */
  async stop(): Promise<void> {
    const pending = this.#server;
    this.#server = undefined;
    if (pending === undefined) return;
    const server = await pending.catch(() => undefined); // a failed start stopped what it started
    await server?.stop();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}
