/**
 * Vitest global setup: ONE embedded PostgreSQL server for every test file of this package (starting
 * one per file cost ~1.5–2 s of CPU each on 2 cores). Each file makes its own database
 * (`testDatabase`) and uses slot names of its own, so files stay independent. Tests that must own a
 * server (start, stop, restart, the watchdog) still start their own with `testServer()`.
 *
 * The teardown stops the server and removes its directory whether the tests passed or failed; if
 * vitest itself dies, the server's watchdog process does it.
 */
import type { TestProject } from 'vitest/node';
import { postgresServer } from '../server/postgresServer.js';
import { TEST_FLAGS } from './testFlags.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the shared server's `postgres` database (see `testDatabase`). */
    postgresUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await postgresServer({
    // Room for every file's slots and walsenders at once.
    postgresFlags: [...TEST_FLAGS, '-c', 'max_replication_slots=64', '-c', 'max_wal_senders=64'],
  });
  project.provide('postgresUrl', server.url);
  return () => server.stop();
}
