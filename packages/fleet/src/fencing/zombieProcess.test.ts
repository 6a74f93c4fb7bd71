/**
 * A real zombie: an engine process (zombieChild.ts) holds a stream's lease and writes its sink, is
 * stopped with SIGSTOP — its sockets, sessions and lease row stay as they were —, the lease expires,
 * this process acquires it and writes, the child is continued with SIGCONT and writes: refused, and
 * the sink holds every batch once.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { isReloadError } from '@baton/core';
import { postgresCdcOutput, readPostgresSink } from '@baton/postgres';
import { beforeAll, expect, it } from 'vitest';
import { connect } from '../__tests__/testDatabase.js';
import { acquireCdcLease } from './acquireCdcLease.js';
import type { CdcLease } from './cdcLease.js';
import { batchAt } from './__tests__/batchAt.js';
import { leaseDatabase, processUrl } from './__tests__/leaseFixtures.js';

const program = fileURLToPath(new URL('./__tests__/zombieChild.ts', import.meta.url));
const packageDir = fileURLToPath(new URL('../..', import.meta.url));

let url: string;

beforeAll(async () => {
  url = await leaseDatabase('fleet_sigstop');
});

/** Acquires the lease as soon as it is free (LOCKED is retried every 50 ms, for at most 15 s). */
async function acquireWhenFree(stream: string, owner: string): Promise<CdcLease> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      return await acquireCdcLease({ url, stream, owner, ttlMs: 10_000 });
    } catch (error) {
      if (!isReloadError(error) || error.code !== 'LOCKED' || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

it('a SIGSTOPped engine process whose lease moved on writes nothing after SIGCONT; every batch once', async () => {
  const stream = 'orders';
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=@baton/source', program, url, stream, processUrl(url, 1)],
    { cwd: packageDir, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, 'exit');
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, unknown>> => {
    const line = await lines.next();
    if (line.done === true) throw new Error(`the zombie child ended early:\n${stderr}`);
    return JSON.parse(line.value) as Record<string, unknown>;
  };
  try {
    const ready = await next();
    expect(ready).toMatchObject({ ready: true, token: '1' });
    process.kill(child.pid!, 'SIGSTOP');

    await using lease = await acquireWhenFree(stream, 'member-b');
    expect(lease.token).toBe(2n);
    // The stopped child's sink session is still open: a session lock would still be held.
    await using observer = await connect(url);
    const sessions = await observer.query(`SELECT pid FROM pg_stat_activity WHERE application_name = $1`, [
      `baton sink ${stream} pid ${String(ready['pid'])}`,
    ]);
    expect(sessions.rowCount).toBe(1);
    const writer = await postgresCdcOutput({
      name: 'sink',
      url: processUrl(url, 2),
      output: stream,
      fence: lease.sinkFence(),
    }).start({});
    expect(writer.position).toBe(2n);
    await writer.deliver(batchAt(2));

    // Commands wait in the pipe; the child reads them once continued.
    child.stdin.write(`${JSON.stringify({ deliver: 2 })}\n${JSON.stringify({ lost: true })}\n`);
    process.kill(child.pid!, 'SIGCONT');
    expect(await next()).toEqual({ delivered: 'LOCKED' });
    expect(await next()).toEqual({ lost: 'LOCKED', leaseOwner: 'member-b' });
    await writer.deliver(batchAt(3));
    await writer.shutdown();
    child.stdin.end();
    expect((await exited)[0]).toBe(0);

    const held = await readPostgresSink({ name: 'check', url, output: stream });
    expect(held.batches.map((b) => `${b.lsnStart}-${b.lsnEnd}:${b.generation}`)).toEqual([
      '0-1:1',
      '1-2:1',
      '2-3:2',
      '3-4:2',
    ]);
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    }
  }
}, 60_000);
