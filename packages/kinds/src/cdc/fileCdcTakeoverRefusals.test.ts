/**
 * What a file CDC takeover refuses: a crafted or foreign takeover (another sink directory, another
 * output, a malformed state), one used already, and calls on the detached stream; and that fencing
 * and the lock move with the sink (a newer start, a second process).
 */
import { open, readFile, readdir, stat, symlink, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { CdcTakeover } from '@baton/core';
import { fc, test } from '@fast-check/vitest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { batchAt, ranges, tempDir, typedError } from './__tests__/cdcFixtures.js';
import { SinkProcess } from './__tests__/sinkProcesses.js';
import { CHECKPOINT_FILE, SINK_FILE } from './fileCheckpoint.js';
import { fileCdcOutput } from './fileCdcOutput.js';
import type { FileCdcStream } from './fileCdcStream.js';
import { readFileSink } from './readFileSink.js';
import { LOCK_FILE } from './sinkLock.js';

/** A sink in `directory` with batches [0, 2) committed and [2, 5) buffered, detached. */
async function detached(directory: string): Promise<{ old: FileCdcStream; takeover: CdcTakeover }> {
  const old = await fileCdcOutput({ name: 'feed', directory, bufferBytes: 1 << 20 }).start({ fromLsn: 0n });
  await old.deliver(batchAt(0n, 2));
  await old.checkpoint();
  await old.deliver(batchAt(2n, 3));
  return { old, takeover: await old.detach() };
}

/** The takeover with `state[field]` replaced (deleted when `value` is `DELETE`). */
const DELETE = Symbol('delete');
function withState(takeover: CdcTakeover, field: string, value: unknown): CdcTakeover {
  const state = { ...(takeover.state as Record<string, unknown>) };
  if (value === DELETE) Reflect.deleteProperty(state, field);
  else state[field] = value;
  return { ...takeover, state };
}

const files = async (directory: string): Promise<string[]> =>
  Promise.all(
    [SINK_FILE, CHECKPOINT_FILE].map(async (name) => (await readFile(join(directory, name))).toString('hex')),
  );

const STATE_FIELDS = ['directory', 'handle', 'lease', 'durable', 'current', 'written', 'pending', 'holder'];
const CHECKPOINT_FIELDS = ['lsn', 'offset', 'lastRecordOffset', 'baseLsn', 'generation', 'records', 'digest'];

describe('fileCdcOutput.adopt refuses what it must not take over, and nothing is written', () => {
  let dir: { path: string; [Symbol.asyncDispose](): Promise<void> };
  let other: { path: string; [Symbol.asyncDispose](): Promise<void> };
  let takeover: CdcTakeover;
  let before: string[];
  const provider = () => fileCdcOutput({ name: 'feed', directory: dir.path });
  /** What adopting `crafted` throws; when it is adopted instead, the fixture is detached again (so the failure names the right value). */
  const refusalOf = async (crafted: CdcTakeover): Promise<unknown> => {
    try {
      const adopted = await provider().adopt(crafted);
      if (adopted) takeover = await adopted.detach();
      return adopted;
    } catch (error) {
      return error;
    }
  };
  beforeAll(async () => {
    [dir, other] = [await tempDir(), await tempDir()];
    ({ takeover } = await detached(dir.path));
    before = await files(dir.path);
  });
  afterAll(async () => {
    // Still open after every refusal: adopting it continues the sink exactly.
    const adopted = (await provider().adopt(takeover))!;
    await adopted.deliver(batchAt(5n, 1));
    expect(await adopted.checkpoint()).toBe(6n);
    await adopted.shutdown();
    expect(ranges((await readFileSink(dir.path)).batches)).toEqual(['0-2', '2-5', '5-6']);
    await dir[Symbol.asyncDispose]();
    await other[Symbol.asyncDispose]();
  });

  it('a takeover of another directory or output: INVALID_ARGUMENT naming both, nothing touched', async () => {
    const elsewhere = fileCdcOutput({ name: 'feed', directory: other.path });
    await expect(elsewhere.adopt(takeover)).rejects.toMatchObject(
      typedError('INVALID_ARGUMENT', `holds the sink in ${dir.path}, not this output's directory ${other.path}`),
    );
    await expect(fileCdcOutput({ name: 'audit', directory: dir.path }).adopt(takeover)).rejects.toMatchObject(
      typedError('INVALID_ARGUMENT', "is of output 'feed', not 'audit'"),
    );
    const missing = fileCdcOutput({ name: 'feed', directory: join(other.path, 'nowhere') });
    await expect(missing.adopt(takeover)).rejects.toMatchObject(typedError('INVALID_ARGUMENT', 'not this output'));
    expect(await readdir(other.path)).toEqual([]);
    expect(await files(dir.path)).toEqual(before);
  });

  it('another layout is not read (undefined); a takeover that is not one is INVALID_ARGUMENT', async () => {
    for (const layout of ['file-cdc/2', 'file-cdc', 'ordered/1', ''])
      expect(await provider().adopt({ ...takeover, layout })).toBeUndefined();
    for (const crafted of [null, 42, 'file-cdc/1', { ...takeover, layout: 1 }, { ...takeover, layout: undefined }])
      await expect(provider().adopt(crafted as never)).rejects.toMatchObject(typedError('INVALID_ARGUMENT'));
    await expect(provider().adopt({ ...takeover, lsn: 4n })).rejects.toMatchObject(
      typedError('INVALID_ARGUMENT', 'says LSN 4 but its state is complete through 5'),
    );
    await expect(provider().adopt(takeover, { signal: AbortSignal.abort() })).rejects.toMatchObject(
      typedError('ABORTED'),
    );
    expect(await files(dir.path)).toEqual(before);
  });

  test.prop([fc.constantFrom(...STATE_FIELDS), fc.oneof(fc.constant(DELETE), fc.anything())], { numRuns: 200 })(
    'a state field missing or of another type or value: INVALID_ARGUMENT, nothing taken over',
    async (field, value) => {
      fc.pre(value !== (takeover.state as Record<string, unknown>)[field]);
      expect(await refusalOf(withState(takeover, field, value))).toMatchObject(typedError('INVALID_ARGUMENT'));
    },
  );

  test.prop(
    [
      fc.constantFrom('durable', 'current'),
      fc.constantFrom(...CHECKPOINT_FIELDS),
      fc.oneof(
        fc.constant(DELETE),
        fc.anything(),
        fc.bigInt({ min: -1n, max: 1000n }),
        fc.integer({ min: -2, max: 5000 }),
      ),
    ],
    { numRuns: 300 },
  )('a checkpoint field missing, mistyped or changed: INVALID_ARGUMENT', async (which, field, value) => {
    const checkpoint = { ...((takeover.state as Record<string, object>)[which] as Record<string, unknown>) };
    fc.pre(value !== checkpoint[field]);
    if (value === DELETE) Reflect.deleteProperty(checkpoint, field);
    else checkpoint[field] = value;
    expect(await refusalOf(withState(takeover, which, checkpoint))).toMatchObject(typedError('INVALID_ARGUMENT'));
  });

  it('crafted states that look right: closed file, another lock, inconsistent offsets, a field more, a forged holder', async () => {
    const state = takeover.state as Record<string, unknown> & {
      current: { offset: number; digest: number };
      written: number;
    };
    const otherLease = { ...(state.lease as object), lockFile: join(other.path, LOCK_FILE) };
    const cases: [string, unknown, string][] = [
      ['handle', { fd: -1, write: () => 0, datasync: () => 0, close: () => 0 }, 'open FileHandle'],
      ['lease', otherLease, 'lease of the lock'],
      ['written', state.written + 1, 'inconsistent'],
      ['pending', [], 'inconsistent'],
      ['current', { ...state.current, offset: state.current.offset + 36 }, 'inconsistent'],
      ['directory', relative(process.cwd(), dir.path), 'absolute, resolved path'],
      ['extra', 1, 'state must be exactly'],
    ];
    for (const [field, value, message] of cases)
      await expect(provider().adopt(withState(takeover, field, value)), field).rejects.toMatchObject(
        typedError('INVALID_ARGUMENT', message),
      );
    // A holder of its own (status open) does not own the sink: the registry says who does.
    const forged = {
      status: 'open',
      state: undefined as unknown,
      idle: () => Promise.resolve(),
      fenced: () => Promise.resolve(),
    };
    forged.state = withState(takeover, 'holder', forged).state;
    await expect(provider().adopt({ ...takeover, state: forged.state })).rejects.toMatchObject(
      typedError('RESOURCE_CLOSED', 'fenced'),
    );
    // The real holder with a state that is consistent but not the one detached: another open file, a changed digest.
    const elsewhere = await open(join(other.path, 'victim'), 'w+');
    try {
      for (const [field, value] of [
        ['handle', elsewhere],
        ['current', { ...state.current, digest: (state.current.digest ^ 1) >>> 0 }],
        ['durable', state.durable],
      ] as const)
        await expect(provider().adopt(withState(takeover, field, value)), field).rejects.toMatchObject(
          typedError('INVALID_ARGUMENT', 'not the one its holder was detached with'),
        );
    } finally {
      await elsewhere.close();
    }
    expect((await stat(join(other.path, 'victim'))).size).toBe(0);
    await unlink(join(other.path, 'victim'));
    expect(await files(dir.path)).toEqual(before);
  });
});

describe('a takeover is used once; the detached stream is closed', () => {
  it('adopt twice, close after adopt, detach twice, calls on the detached stream: RESOURCE_CLOSED', async () => {
    await using dir = await tempDir();
    const { old, takeover } = await detached(dir.path);
    const output = fileCdcOutput({ name: 'feed', directory: dir.path });
    const adopted = (await output.adopt(takeover))!;
    await expect(output.adopt(takeover)).rejects.toMatchObject(typedError('RESOURCE_CLOSED', 'adopted already'));
    await expect(output.adopt({ ...takeover })).rejects.toMatchObject(typedError('RESOURCE_CLOSED', 'adopted'));
    await expect(takeover.close()).rejects.toMatchObject(typedError('RESOURCE_CLOSED', 'adopted already'));
    for (const call of [() => old.deliver(batchAt(5n, 1)), () => old.checkpoint(), () => old.detach()])
      await expect(call()).rejects.toMatchObject(typedError('RESOURCE_CLOSED', 'detached'));
    await old.shutdown(); // nothing to do: the file and the lease belong to the adopted stream
    await adopted.deliver(batchAt(5n, 1));
    expect(await adopted.checkpoint()).toBe(6n);
    // Fencing works on the adopted stream as on any: a newer start takes the sink over.
    const newer = await output.start({});
    await expect(adopted.deliver(batchAt(6n, 1))).rejects.toMatchObject(typedError('RESOURCE_CLOSED', 'fenced'));
    await expect(adopted.detach()).rejects.toMatchObject(typedError('RESOURCE_CLOSED', 'fenced'));
    expect(newer.position).toBe(6n);
    await newer.shutdown();
    expect(ranges((await readFileSink(dir.path)).batches)).toEqual(['0-2', '2-5', '5-6']);
  });

  it('detach with an aborted signal changes nothing; a directory named through a link or relatively is the same sink', async () => {
    await using dir = await tempDir();
    const stream = await fileCdcOutput({ name: 'feed', directory: dir.path }).start({ fromLsn: 0n });
    await stream.deliver(batchAt(0n, 1));
    await expect(stream.detach({ signal: AbortSignal.abort() })).rejects.toMatchObject(typedError('ABORTED'));
    await stream.deliver(batchAt(1n, 1));
    const link = `${dir.path}-link`;
    await symlink(dir.path, link);
    try {
      const viaLink = (await fileCdcOutput({ name: 'feed', directory: link }).adopt(await stream.detach()))!;
      await viaLink.deliver(batchAt(2n, 1));
      const relativeDir = relative(process.cwd(), dir.path);
      const viaRelative = (await fileCdcOutput({ name: 'feed', directory: relativeDir }).adopt(
        await viaLink.detach(),
      ))!;
      expect(await viaRelative.checkpoint()).toBe(3n);
      await viaRelative.shutdown();
    } finally {
      await import('node:fs/promises').then((fs) => fs.unlink(link));
    }
    expect(ranges((await readFileSink(dir.path)).batches)).toEqual(['0-1', '1-2', '2-3']);
  });
});

describe('failed I/O around a takeover', () => {
  const systemError = (code: string): Error => Object.assign(new Error(`${code}: simulated`), { code });
  /** The FileHandle prototype (shared by every open file of the process). */
  async function fileHandleProto(dir: string): Promise<FileHandle> {
    const probe = await open(join(dir, '.probe'), 'w');
    await probe.close();
    await unlink(join(dir, '.probe'));
    return Object.getPrototypeOf(probe) as FileHandle;
  }

  it('a stream whose sink write failed cannot be detached (IO_FAILED again); a start resumes from the checkpoint', async () => {
    await using dir = await tempDir();
    const output = fileCdcOutput({ name: 'feed', directory: dir.path, bufferBytes: 1 });
    const stream = await output.start({ fromLsn: 0n });
    await stream.deliver(batchAt(0n, 1));
    await stream.checkpoint();
    const write = vi.spyOn(await fileHandleProto(dir.path), 'write').mockRejectedValueOnce(systemError('ENOSPC'));
    try {
      await expect(stream.deliver(batchAt(1n, 1))).rejects.toMatchObject(typedError('IO_FAILED'));
    } finally {
      write.mockRestore();
    }
    await expect(stream.detach()).rejects.toMatchObject(
      typedError('IO_FAILED', 'detach on a stream whose sink write failed'),
    );
    const next = await output.start({});
    expect(next.position).toBe(1n);
    await next.shutdown();
  });

  it('a close whose sync fails is IO_FAILED and still releases the sink: a start resumes, nothing doubled', async () => {
    await using dir = await tempDir();
    const output = fileCdcOutput({ name: 'feed', directory: dir.path });
    const stream = await output.start({ fromLsn: 0n });
    await stream.deliver(batchAt(0n, 1));
    await stream.checkpoint();
    await stream.deliver(batchAt(1n, 1));
    const takeover = await stream.detach();
    const sync = vi.spyOn(await fileHandleProto(dir.path), 'datasync').mockRejectedValueOnce(systemError('EIO'));
    try {
      await expect(takeover.close()).rejects.toMatchObject(typedError('IO_FAILED', join(dir.path, SINK_FILE)));
    } finally {
      sync.mockRestore();
    }
    await expect(takeover.close()).rejects.toMatchObject(typedError('RESOURCE_CLOSED', 'closed already'));
    await expect(output.adopt(takeover)).rejects.toMatchObject(typedError('RESOURCE_CLOSED', 'closed already'));
    expect((takeover.state as { handle: FileHandle }).handle.fd).toBe(-1); // closed
    const next = await output.start({});
    // The commit marker reached the file before the sync failed: the start rolls forward to it, as
    // after any checkpoint whose sync failed. The source re-delivers [1, 2): skipped, never doubled.
    expect(next.position).toBe(2n);
    await next.deliver(batchAt(1n, 1));
    await next.deliver(batchAt(2n, 1));
    expect(await next.checkpoint()).toBe(3n);
    await next.shutdown();
    expect(ranges((await readFileSink(dir.path)).batches)).toEqual(['0-1', '1-2', '2-3']);
  });
});

describe('the lock moves with the sink', () => {
  let child: SinkProcess;
  beforeAll(async () => {
    child = await SinkProcess.spawn();
  });
  afterAll(async () => {
    await child.end();
  });

  it('another process is LOCKED out while the takeover is pending and while the adopted stream runs; the lock goes with the last stream', async () => {
    await using dir = await tempDir();
    const lockRecord = async () => readFile(join(dir.path, LOCK_FILE), 'utf8');
    const { old, takeover } = await detached(dir.path);
    const record = await lockRecord();
    child.send({ op: 'start', dir: dir.path, round: 1 });
    expect(await child.next((r) => r.round === 1)).toMatchObject({
      event: 'refused',
      code: 'LOCKED',
      details: { holder: { pid: process.pid } },
    });
    const adopted = (await fileCdcOutput({ name: 'feed', directory: dir.path }).adopt(takeover))!;
    await old.shutdown();
    child.send({ op: 'start', dir: dir.path, round: 2 });
    expect(await child.next((r) => r.round === 2)).toMatchObject({ event: 'refused', code: 'LOCKED' });
    expect(await lockRecord()).toBe(record); // the same holding throughout
    expect(await adopted.checkpoint()).toBe(5n);
    await adopted.shutdown();
    // The lease moved, not copied: the last stream's shutdown lets the lock go (in the background).
    await expect.poll(() => readdir(dir.path), { timeout: 50_000 }).not.toContain(LOCK_FILE);
    child.send({ op: 'start', dir: dir.path, round: 3 });
    expect(await child.next((r) => r.round === 3)).toMatchObject({ event: 'started' });
    child.send({ op: 'shutdown', round: 3 });
    await child.next((r) => r.round === 3 && r.event === 'shutdown');
    expect(ranges((await readFileSink(dir.path)).batches)).toEqual(['0-2', '2-5', '5-7']);
  });

  it('a process killed while its adopted stream runs: the next process takes the lock and keeps exactly what was checkpointed', async () => {
    await using dir = await tempDir();
    const victim = await SinkProcess.spawn();
    victim.send({ op: 'handoff', dir: dir.path, round: 1 });
    expect(await victim.next((r) => r.round === 1)).toMatchObject({ event: 'started' });
    const output = fileCdcOutput({ name: 'feed', directory: dir.path });
    await expect(output.start({})).rejects.toMatchObject(typedError('LOCKED', `pid ${victim.pid}`));
    const before = await readFileSink(dir.path);
    expect([ranges(before.batches), before.uncommittedBytes > 0]).toEqual([['0-2'], true]); // [2, 6) written, not committed
    await victim.kill('SIGKILL');
    const restarted = await output.start({});
    expect(restarted.position).toBe(2n); // the source re-delivers [2, 6)
    for (const from of [0n, 2n, 4n]) await restarted.deliver(batchAt(from, 2));
    expect(await restarted.checkpoint()).toBe(6n);
    await restarted.shutdown();
    const sink = await readFileSink(dir.path);
    expect([ranges(sink.batches), sink.uncommittedBytes]).toEqual([['0-2', '2-4', '4-6'], 0]);
    // [2, 6) are the re-delivered batches (ids 2, 3 and 4, 5), not the killed process's uncommitted ones.
    expect(sink.batches.slice(1).map((b) => Array.from(b.mutations.getChild('id')!.toArray() as Int32Array))).toEqual([
      [2, 3],
      [4, 5],
    ]);
  });
});
