/** Test helpers: the package's shared server (see globalSetup.ts), a server of one's own, and query helpers. */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { postgresServer } from '../server/postgresServer.js';
import type { PostgresServer } from '../server/postgresServer.js';
import { TEST_FLAGS } from './testFlags.js';

/**
 * An embedded server of the test's own, tuned for tests. Only for tests that must own one (they stop,
 * restart or kill it); everything else uses {@link testDatabase} on the shared server.
 */
export function testServer(): Promise<PostgresServer> {
  return postgresServer({ postgresFlags: TEST_FLAGS });
}

/**
 * A name no other test file uses (`label` and a random suffix), for what is global on a server:
 * databases and replication slots. Lower-case letters, digits and `_`, at most 63 characters.
 */
export function uniqueName(label: string): string {
  return `${label}_${randomBytes(4).toString('hex')}`.slice(-63);
}

/** A fresh database on the package's shared server (started once by globalSetup.ts); returns its URL. */
export async function testDatabase(label: string): Promise<string> {
  await using server = await postgresServer({ url: inject('postgresUrl') });
  return await server.createDatabase(uniqueName(label));
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
