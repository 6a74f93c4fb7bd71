import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isReloadError } from '@baton/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, sql, testDatabase } from '../__tests__/testServer.js';
import { TEST_FLAGS } from '../__tests__/testFlags.js';
import { readChanges } from '../source/cdcLayout.js';
import { postgresChangeSource } from '../source/postgresChangeSource.js';
import { postgresServer } from './postgresServer.js';
import type { PostgresServer } from './postgresServer.js';

const codeOf = (promise: Promise<unknown>): Promise<string> =>
  promise.then(
    () => 'resolved',
    (error: unknown) => (isReloadError(error) ? error.code : String(error)),
  );

/** A server of this file's own (it is restarted and, last, stopped), whose log is kept. */
let server: PostgresServer;
let logText = '';
/** What the server logged since `mark` (a length of the log). */
const logSince = (mark: number): string => logText.slice(mark);

beforeAll(async () => {
  server = await postgresServer({
    postgresFlags: TEST_FLAGS,
    onLog: (chunk) => {
      logText += chunk;
    },
  });
  await sql(server.url, 'CREATE TABLE t (id int PRIMARY KEY); CREATE PUBLICATION p FOR TABLE t');
});

afterAll(async () => {
  await server.stop();
});

async function postmasterPid(): Promise<number> {
  return Number((await readFile(join(server.dataDirectory!, 'postmaster.pid'), 'utf8')).split('\n')[0]);
}

describe('postgresServer restart', () => {
  it('immediate: the postmaster is quit without a shutdown checkpoint, recovers on the same port, keeps committed rows', async () => {
    await sql(server.url, 'CHECKPOINT');
    await sql(server.url, 'INSERT INTO t SELECT generate_series(1000, 1099)'); // after the checkpoint: only in the WAL
    await using held = await connect(server.url);
    const before = await postmasterPid();
    const [started] = await sql<{ at: string }>(server.url, 'SELECT pg_postmaster_start_time()::text AS at');
    const mark = logText.length;

    await server.restart({ mode: 'immediate' });

    expect(await codeOf(held.query('SELECT 1'))).not.toBe('resolved'); // its backend was quit
    expect(await postmasterPid()).not.toBe(before);
    const [row] = await sql<{ n: number; at: string }>(
      server.url, // the same URL: same port, same password
      'SELECT count(*)::int AS n, pg_postmaster_start_time()::text AS at FROM t WHERE id >= 1000',
    );
    expect(row!.n).toBe(100);
    expect(row!.at).not.toBe(started!.at);
    // Crash recovery ran: the server says it was not shut down properly and replayed the WAL.
    expect(logSince(mark)).toMatch(/not properly shut down; automatic recovery in progress/);
    expect(logSince(mark)).toMatch(/redo starts at/);
  });

  it('fast: a clean shutdown while a change source streams; the source reconnects and drops what it had handed over', async () => {
    await using source = await postgresChangeSource({ url: server.url, slot: 's', publication: 'p' });
    await sql(server.url, 'INSERT INTO t VALUES (1)');
    const first = await source.next({ signal: AbortSignal.timeout(20_000) }); // handed over, not confirmed
    const mark = logText.length;
    await server.restart({ mode: 'fast' }); // the test's timeout bounds it: the walsender was ended first
    expect(logSince(mark)).not.toMatch(/not properly shut down/);
    expect(logSince(mark)).toMatch(/database system was shut down at/);
    await sql(server.url, 'INSERT INTO t VALUES (2)');
    const second = await source.next({ signal: AbortSignal.timeout(20_000) });
    // The server sent transaction 1 again from the slot's confirmed position; the source dropped it.
    expect(readChanges(second!.mutations).map((r) => r.new!['id'])).toEqual(['2']);
    expect(second!.lsnStart).toBeGreaterThanOrEqual(first!.lsnEnd);
    expect([source.reconnects, source.resentDropped]).toEqual([1, 1]);
  });

  it('refuses a server given by URL and a bad mode with INVALID_ARGUMENT', async () => {
    await using external = await postgresServer({ url: await testDatabase('restart') });
    expect(await codeOf(external.restart({ mode: 'immediate' }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(server.restart({ mode: 'smart' as never }))).toBe('INVALID_ARGUMENT');
  });

  // Last: it stops the server.
  it('a stop asked during a restart waits for it, then leaves nothing; a restart after stop is RESOURCE_CLOSED', async () => {
    const restarting = server.restart({ mode: 'immediate' });
    const stopping = server.stop();
    await restarting;
    await stopping;
    expect(existsSync(server.dataDirectory!)).toBe(false);
    expect(await codeOf(server.restart({ mode: 'fast' }))).toBe('RESOURCE_CLOSED');
  });
});
