/**
 * Test helpers: a fresh database on the shared PostgreSQL test server (started by @baton/postgres's
 * src/__tests__/globalSetup.ts, which vitest.config.ts names), and clients.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { postgresServer } from '@baton/postgres';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the shared server's `postgres` database (provided by the global setup). */
    postgresUrl: string;
  }
}

/**
 * A name no other test file uses (`label` and a random suffix), for what is global on a server:
 * databases and replication slots. Lower-case letters, digits and `_`, at most 63 characters.
 */
function uniqueName(label: string): string {
  return `${label}_${randomBytes(4).toString('hex')}`.slice(-63);
}

/** A fresh database on the shared test server (started once for the run); returns its URL. */
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
