import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { isReloadError } from '@baton/core';
import { describe, expect, it } from 'vitest';
import { sql, testServer } from '../__tests__/testServer.js';
import { freeLoopbackPort } from './freePort.js';
import { postgresChangeSource } from '../source/postgresChangeSource.js';
import { postgresServer } from './postgresServer.js';

const child = fileURLToPath(new URL('./__tests__/serverChild.ts', import.meta.url));
const packageDir = fileURLToPath(new URL('../..', import.meta.url));

/** The command lines of every process whose arguments mention `text` (`ps`, not this test's own). */
async function processesMentioning(text: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)('ps', ['-eo', 'pid=,args=']);
  return stdout.split('\n').filter((line) => line.includes(text) && !line.includes('ps -eo'));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Waits (bounded) for a condition only another process can make true; there is no event to wait on. */
async function eventually(condition: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`still not true after ${ms} ms: ${what}`);
    await delay(50);
  }
}

/** Starts `serverChild.ts`, returning the child and what it printed. */
async function startChild(...args: string[]) {
  const process_ = spawn(process.execPath, ['--import', 'tsx', '--conditions=@baton/source', child, ...args], {
    cwd: packageDir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  process_.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    process_.once('exit', (code, signal) => {
      resolve(signal ?? code);
    }),
  );
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: process_.stdout }).once('line', resolve);
    void exited.then(() => {
      reject(new Error(`the child exited before it started a server: ${stderr}`));
    });
  });
  const info = JSON.parse(line) as { url: string; dataDirectory: string; pid: number };
  return { process: process_, exited, ...info };
}

describe('postgresServer', () => {
  it('starts PostgreSQL 18 with logical decoding on loopback, answers queries, and stops leaving nothing', async ({
    expect,
  }) => {
    let dataDirectory: string;
    {
      await using server = await testServer();
      expect(server.origin).toBe('embedded');
      dataDirectory = server.dataDirectory!;
      expect(new URL(server.url).hostname).toBe('127.0.0.1');
      const [row] = await sql<{ version: string; wal_level: string }>(
        server.url,
        `SELECT current_setting('server_version_num') AS version, current_setting('wal_level') AS wal_level`,
      );
      expect(Number(row!.version)).toBeGreaterThanOrEqual(180000);
      expect(row!.wal_level).toBe('logical');
      expect(await processesMentioning(dataDirectory)).not.toEqual([]);

      // Another database, and the same server taken by URL: stopping that handle leaves the server alone.
      const other = await server.createDatabase('sink');
      expect(await server.createDatabase('sink')).toBe(other);
      {
        await using external = await postgresServer({ url: other });
        expect(external.origin).toBe('external');
        expect(external.dataDirectory).toBeUndefined();
        expect((await sql<{ db: string }>(external.url, 'SELECT current_database() AS db'))[0]!.db).toBe('sink');
      }
      expect((await sql(server.url, 'SELECT 1 AS one'))[0]).toEqual({ one: 1 });
    }
    expect(await processesMentioning(dataDirectory)).toEqual([]);
    expect(existsSync(dataDirectory)).toBe(false);
  });

  it('stops promptly while a change source streams from it (the source then fails with IO_FAILED)', async ({
    expect,
  }) => {
    const server = await testServer();
    await sql(server.url, 'CREATE TABLE t (id int PRIMARY KEY); CREATE PUBLICATION p FOR TABLE t');
    const source = await postgresChangeSource({ url: server.url, slot: 's', publication: 'p', reconnect: false });
    await sql(server.url, 'INSERT INTO t VALUES (1)');
    const batch = await source.next({ signal: AbortSignal.timeout(20_000) });
    source.confirm(batch!.lsnEnd - 1n); // not all it was sent: a fast shutdown alone would wait for the rest
    await server.stop(); // the test's timeout bounds it: before, this waited for ever
    expect(await processesMentioning(server.dataDirectory!)).toEqual([]);
    const error = await source.next().catch((e: unknown) => e);
    expect(isReloadError(error) && error.code).toBe('IO_FAILED');
    await source.close();
  });

  it('refuses bad options with INVALID_ARGUMENT and an unreachable server with IO_FAILED', async () => {
    const codeOf = (promise: Promise<unknown>) =>
      promise.then(
        () => 'resolved',
        (error: unknown) => (isReloadError(error) ? error.code : String(error)),
      );
    expect(await codeOf(postgresServer({ url: 'mysql://localhost/db' }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(postgresServer({ startTimeoutMs: -1 }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(postgresServer({ postgresFlag: [] } as never))).toBe('INVALID_ARGUMENT');
    const closedPort = await freeLoopbackPort();
    expect(await codeOf(postgresServer({ url: `postgres://postgres:x@127.0.0.1:${closedPort}/postgres` }))).toBe(
      'IO_FAILED',
    );
  });

  it('stops the server and removes its directory when the owning process gets SIGTERM', async () => {
    const owner = await startChild();
    expect(alive(owner.pid)).toBe(true);
    owner.process.kill('SIGTERM');
    expect(await owner.exited).toBe(128 + 15); // async-exit-hook exits once every server has stopped
    expect(alive(owner.pid)).toBe(false);
    expect(await processesMentioning(owner.dataDirectory)).toEqual([]);
    expect(existsSync(owner.dataDirectory)).toBe(false);
  });

  it("keeps the program's own exit code when it ends by itself (async-exit-hook's beforeExit would exit 0)", async () => {
    const owner = await startChild('--exit-code', '3');
    expect(await owner.exited).toBe(3);
    expect(alive(owner.pid)).toBe(false);
    expect(existsSync(owner.dataDirectory)).toBe(false);
  });

  it('leaves nothing running after the owning process is SIGKILLed (the watchdog stops the server)', async ({
    expect,
  }) => {
    const owner = await startChild();
    owner.process.kill('SIGKILL');
    expect(await owner.exited).toBe('SIGKILL');
    await eventually(() => !alive(owner.pid) && !existsSync(owner.dataDirectory), 'postmaster gone, directory removed');
    expect(await processesMentioning(owner.dataDirectory)).toEqual([]);
  });
});
