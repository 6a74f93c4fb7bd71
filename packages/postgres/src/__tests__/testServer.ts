/** Test helper: an embedded server per test file, and small query helpers. */
import pg from 'pg';
import { postgresServer } from '../server/postgresServer.js';
import type { PostgresServer } from '../server/postgresServer.js';

/** An embedded server tuned for tests (no fsync: a crash of the machine is not what the tests exercise). */
export function testServer(): Promise<PostgresServer> {
  return postgresServer({ postgresFlags: ['-c', 'fsync=off', '-c', 'full_page_writes=off'] });
}

/** A connected client that `await using` ends. */
export async function connect(url: string): Promise<pg.Client & AsyncDisposable> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  return Object.assign(client, { [Symbol.asyncDispose]: () => client.end() });
}

/** Runs `sql` once on a fresh connection. */
export async function sql<R extends pg.QueryResultRow = pg.QueryResultRow>(
  url: string,
  text: string,
  values: unknown[] = [],
): Promise<R[]> {
  await using client = await connect(url);
  return (await client.query<R>(text, values)).rows;
}
