import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isReloadError } from '@baton/core';
import { describe, expect, it } from 'vitest';
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

async function postmasterPid(server: PostgresServer): Promise<number> {
  return Number((await readFile(join(server.dataDirectory!, 'postmaster.pid'), 'utf8')).split('\n')[0]);
}

/** An own server (these tests stop it) whose log is kept. */
async function loggedServer(): Promise<{ server: PostgresServer; log: () => string }> {
  let text = '';
  const server = await postgresServer({
    postgresFlags: TEST_FLAGS,
    onLog: (chunk) => {
      text += chunk;
    },
  });
  return { server, log: () => text };
}

describe('postgresServer restart', () => {
  it('immediate: the postmaster is quit without a shutdown checkpoint, recovers on the same port and keeps committed rows; a stop waits for a restart', async ({
    expect,
  }) => {
    const { server, log } = await loggedServer();
    await using _ = server;
    await sql(server.url, 'CREATE TABLE t (id int PRIMARY KEY)');
    await sql(server.url, 'CHECKPOINT');
    await sql(server.url, 'INSERT INTO t SELECT generate_series(1, 100)'); // after the checkpoint: only in the WAL
    await using held = await connect(server.url);
    const before = await postmasterPid(server);
    const [started] = await sql<{ at: string }>(server.url, 'SELECT pg_postmaster_start_time()::text AS at');

    await server.restart({ mode: 'immediate' });

    expect(await codeOf(held.query('SELECT 1'))).not.toBe('resolved'); // its backend was quit
    const after = await postmasterPid(server);
    expect(after).not.toBe(before);
    expect(existsSync(server.dataDirectory!)).toBe(true);
    const [row] = await sql<{ n: number; at: string }>(
      server.url, // the same URL: same port, same password
      'SELECT count(*)::int AS n, pg_postmaster_start_time()::text AS at FROM t',
    );
    expect(row!.n).toBe(100);
    expect(row!.at).not.toBe(started!.at);
    // Crash recovery ran: the server says it was not shut down properly and replayed the WAL.
    expect(log()).toMatch(/not properly shut down; automatic recovery in progress/);
    expect(log()).toMatch(/redo starts at/);

    // A stop asked while a restart runs waits for it, then stops what it started: nothing is left.
    const restarting = server.restart({ mode: 'immediate' });
    const stopping = server.stop();
    await restarting;
    await stopping;
    expect(existsSync(server.dataDirectory!)).toBe(false);
    expect(await codeOf(server.restart({ mode: 'fast' }))).toBe('RESOURCE_CLOSED');
  });

  it('fast: a clean shutdown while a change source streams; the source reconnects and drops what it had handed over', async ({
    expect,
  }) => {
    const { server, log } = await loggedServer();
    await using _ = server;
    await sql(server.url, 'CREATE TABLE t (id int PRIMARY KEY); CREATE PUBLICATION p FOR TABLE t');
    await using source = await postgresChangeSource({ url: server.url, slot: 's', publication: 'p' });
    await sql(server.url, 'INSERT INTO t VALUES (1)');
    const first = await source.next({ signal: AbortSignal.timeout(20_000) }); // handed over, not confirmed
    await server.restart({ mode: 'fast' }); // the test's timeout bounds it: the walsender was ended first
    expect(log()).not.toMatch(/not properly shut down/);
    expect(log()).toMatch(/database system was shut down at/);
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
    expect(await codeOf(external.restart({ mode: 'smart' as never }))).toBe('INVALID_ARGUMENT');
  });
});
