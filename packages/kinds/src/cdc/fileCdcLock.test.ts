import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fc, test } from '@fast-check/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchAt, ranges, tempDir, typedError } from './__tests__/cdcFixtures.js';
import { SinkProcess } from './__tests__/sinkProcesses.js';
import type { ChildReply } from './__tests__/sinkProcesses.js';
import { CHECKPOINT_FILE, SINK_FILE } from './fileCheckpoint.js';
import { fileCdcOutput } from './fileCdcOutput.js';
import { acquireLockFile, releaseLockFile } from './lockFile.js';
import { decodeLockOwner, encodeLockOwner, newLockOwner } from './lockOwner.js';
import type { LockOwner } from './lockOwner.js';
import { readFileSink } from './readFileSink.js';
import { LOCK_FILE } from './sinkLock.js';

/** A pid no process has: above Linux's largest pid_max (2^22). */
const DEAD_PID = 4_194_304 + 1234;

async function deadOwner(): Promise<LockOwner> {
  return { ...(await newLockOwner()), pid: DEAD_PID, since: '2020-01-01T00:00:00.000Z' };
}

const lockHolder = async (dir: string): Promise<LockOwner | undefined> =>
  decodeLockOwner(await readFile(join(dir, LOCK_FILE), 'utf8').catch(() => ''));

describe('fileCdcOutput: one writer across processes', () => {
  let holder: SinkProcess;
  let other: SinkProcess;
  beforeAll(async () => {
    [holder, other] = await Promise.all([SinkProcess.spawn(), SinkProcess.spawn()]);
  });
  afterAll(async () => {
    await Promise.all([holder.end(), other.end()]);
  });

  it('a second process gets LOCKED naming the holder; after SIGKILL of the holder the next process takes over', async () => {
    await using dir = await tempDir();
    holder.send({ op: 'start', dir: dir.path, round: 1 });
    const started = await holder.next((r) => r.round === 1);
    expect(started.event).toBe('started');

    other.send({ op: 'start', dir: dir.path, round: 1 });
    const refused = await other.next((r) => r.round === 1);
    expect(refused).toMatchObject({ event: 'refused', code: 'LOCKED' });
    expect(refused.details?.holder).toEqual({ pid: holder.pid, host: hostname(), since: expect.any(String) as string });
    expect(refused.message).toContain(`pid ${holder.pid} on host ${hostname()} since`);

    // This process too (a third one).
    const output = fileCdcOutput({ name: 'feed', directory: dir.path });
    await expect(output.start({})).rejects.toMatchObject(typedError('LOCKED', `pid ${holder.pid}`));

    await holder.kill('SIGKILL');
    const taken = await output.start({});
    expect((await lockHolder(dir.path))?.pid).toBe(process.pid);
    expect(await taken.checkpoint()).toBe(2n); // the killed holder's committed batch is kept
    await taken.deliver(batchAt(2n, 1));
    await taken.checkpoint();
    await taken.shutdown();
    expect(ranges((await readFileSink(dir.path)).batches)).toEqual(['0-2', '2-3']);
    holder = await SinkProcess.spawn(); // for the next test
  });

  it('processes racing to take over a stale lock: exactly one wins, every time', async () => {
    const racers = [holder, other, await SinkProcess.spawn()];
    const wins = new Map<number, number>();
    const rounds = 12;
    try {
      for (let round = 100; round < 100 + rounds; round++) {
        await using dir = await tempDir();
        const stale = await deadOwner();
        await writeFile(join(dir.path, LOCK_FILE), encodeLockOwner(stale));
        // Every third round, a taker of that stale lock died mid-takeover too (its ticket is stale).
        if (round % 3 === 0)
          await writeFile(join(dir.path, `${LOCK_FILE}.takeover-${stale.token}`), encodeLockOwner(await deadOwner()));
        for (const racer of racers) racer.send({ op: 'start', dir: dir.path, round });
        const replies: ChildReply[] = await Promise.all(racers.map((r) => r.next((reply) => reply.round === round)));
        const winners = replies.filter((r) => r.event === 'started');
        expect(winners, JSON.stringify(replies)).toHaveLength(1);
        const winner = winners[0]!.pid;
        wins.set(winner, (wins.get(winner) ?? 0) + 1);
        for (const loser of replies.filter((r) => r.event !== 'started')) {
          expect(loser).toMatchObject({ code: 'LOCKED', details: { holder: { pid: winner } } });
        }
        expect((await lockHolder(dir.path))?.pid).toBe(winner);
        expect((await readdir(dir.path)).filter((n) => n.includes('takeover'))).toEqual([]);
        const racer = racers.find((r) => r.pid === winner)!;
        racer.send({ op: 'shutdown', round });
        await racer.next((r) => r.round === round && r.event === 'shutdown');
      }
    } finally {
      await racers[2]!.end();
    }
    console.log(
      `stale-lock race: ${rounds} rounds of ${racers.length} processes, exactly one winner each; wins by process: ${[...wins.values()].join('/')}`,
    );
  });
});

describe('fileCdcOutput: the lock within one process', () => {
  it('is held across a shutdown → start handoff (same lock record) and given up after the last stream', async () => {
    await using dir = await tempDir();
    const output = fileCdcOutput({ name: 'feed', directory: dir.path });
    const first = await output.start({ fromLsn: 0n });
    const record = await lockHolder(dir.path);
    expect(record?.pid).toBe(process.pid);
    await first.deliver(batchAt(0n, 1));
    await first.checkpoint();
    await first.shutdown();
    const second = await output.start({ fromLsn: 1n }); // what a reload does
    expect(await lockHolder(dir.path)).toEqual(record); // never given up in between
    const third = await output.start({}); // fences the second; one lock for both
    await second.shutdown();
    expect(await lockHolder(dir.path)).toEqual(record);
    await third.shutdown();
    // The lock file goes in the background (nothing to await): wait until it is gone, however long
    // the removal takes on a busy machine (the test's own timeout bounds it).
    await expect.poll(() => readdir(dir.path), { timeout: 50_000 }).not.toContain(LOCK_FILE);
  });

  it('a process that exits normally removes its lock file', async () => {
    await using dir = await tempDir();
    const child = await SinkProcess.spawn();
    child.send({ op: 'start', dir: dir.path, round: 1 });
    expect(await child.next((r) => r.round === 1)).toMatchObject({ event: 'started' });
    expect((await lockHolder(dir.path))?.pid).toBe(child.pid);
    await child.end(); // exits with the stream still open
    expect(await readdir(dir.path)).not.toContain(LOCK_FILE);
  });

  it('refuses a holder on another host and an unreadable lock file (LOCKED, naming what to remove)', async () => {
    await using dir = await tempDir();
    const lockFile = join(dir.path, LOCK_FILE);
    const remote = { ...(await newLockOwner()), host: 'some-other-host', pid: 4242 };
    await writeFile(lockFile, encodeLockOwner(remote));
    const output = fileCdcOutput({ name: 'feed', directory: dir.path });
    const error: unknown = await output.start({}).catch((e: unknown) => e);
    expect(error).toMatchObject(typedError('LOCKED', 'pid 4242 on host some-other-host'));
    expect(error).toMatchObject({
      details: { lockFile, holder: { pid: 4242, host: 'some-other-host', since: remote.since } },
    });
    expect((error as Error).message).toContain('cannot be checked');
    await writeFile(lockFile, '{"pid": "garbage"');
    await expect(output.start({})).rejects.toMatchObject(typedError('LOCKED', 'unreadable lock file'));
    expect(await readFile(lockFile, 'utf8')).toBe('{"pid": "garbage"'); // never removed by us
  });

  it('a takeover removes what killed takers left: an obsolete ticket and their temp files', async () => {
    await using dir = await tempDir();
    const path = join(dir.path, LOCK_FILE);
    const [stale, oldTaker] = [await deadOwner(), await deadOwner()];
    await writeFile(path, encodeLockOwner(stale));
    const leftovers = [`${LOCK_FILE}.takeover-${'0'.repeat(32)}`, `.${LOCK_FILE}.${DEAD_PID}.00aa11bb22cc.tmp`];
    for (const name of leftovers) await writeFile(join(dir.path, name), encodeLockOwner(oldTaker));
    await writeFile(join(dir.path, 'unrelated.tmp'), 'x');
    const stream = await fileCdcOutput({ name: 'feed', directory: dir.path }).start({});
    expect((await readdir(dir.path)).sort()).toEqual([CHECKPOINT_FILE, SINK_FILE, LOCK_FILE, 'unrelated.tmp'].sort());
    await stream.shutdown();
  });

  test.prop([fc.integer({ min: 2, max: 8 }), fc.boolean(), fc.boolean(), fc.boolean()], { numRuns: 40 })(
    'concurrent takers of one stale lock (simulated processes), with or without hard links: exactly one holds it',
    async (takers, staleTicket, deadTakerOfTicket, hardLinks) => {
      await using dir = await tempDir();
      await mkdir(dir.path, { recursive: true });
      const path = join(dir.path, LOCK_FILE);
      const stale = await deadOwner();
      await writeFile(path, encodeLockOwner(stale));
      const dead = new Set([stale.token]);
      if (staleTicket) {
        const taker = await deadOwner();
        dead.add(taker.token);
        await writeFile(`${path}.takeover-${stale.token}`, encodeLockOwner(taker));
        if (deadTakerOfTicket) {
          const inner = await deadOwner();
          dead.add(inner.token);
          await writeFile(`${path}.takeover-${stale.token}.takeover-${taker.token}`, encodeLockOwner(inner));
        }
      }
      const owners = await Promise.all(
        Array.from({ length: takers }, async () => ({
          ...(await newLockOwner()),
          token: randomBytes(16).toString('hex'),
        })),
      );
      const stateOf = (owner: LockOwner) =>
        Promise.resolve(dead.has(owner.token) ? ('dead' as const) : ('alive' as const));
      const results = await Promise.allSettled(
        owners.map((owner) => acquireLockFile(path, owner, { key: 'feed', what: 'the sink', stateOf, hardLinks })),
      );
      const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [owners[i]!] : []));
      expect(won).toHaveLength(1);
      for (const r of results)
        if (r.status === 'rejected')
          expect(r.reason).toMatchObject({ code: 'LOCKED', details: { holder: { pid: process.pid } } });
      expect((await lockHolder(dir.path))?.token).toBe(won[0]!.token);
      await releaseLockFile(path, won[0]!, 'feed');
      expect(await readdir(dir.path)).toEqual([]);
    },
  );
});
