import { existsSync } from 'node:fs';
import { chmod, mkdir, open, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { frameChecked, unframeChecked } from '@baton/core/durable';
import { describe, expect, it } from 'vitest';
import { pack, unpack } from '../codec/packr.js';
import { batchAt, batchesOf, ranges, tempDir, typedError } from './__tests__/cdcFixtures.js';
import { CHECKPOINT_FILE, SINK_FILE } from './fileCheckpoint.js';
import { fileCdcOutput } from './fileCdcOutput.js';
import { readFileSink } from './readFileSink.js';

const systemError = (code: string): Error => Object.assign(new Error(`${code}: simulated`), { code });

/**
 * Makes the next `FileHandle.<method>` call in this process reject with `error` (`writeFile`: the
 * checkpoint's temp file write; `write`: a write of the sink).
 */
async function failNextHandleCall(dir: string, method: 'write' | 'writeFile', error: Error): Promise<void> {
  const probe = await open(join(dir, '.probe'), 'w');
  const proto = Object.getPrototypeOf(probe) as Record<typeof method, (...args: unknown[]) => Promise<unknown>>;
  await probe.close();
  await rm(join(dir, '.probe'));
  const original = proto[method];
  proto[method] = function () {
    proto[method] = original;
    return Promise.reject(error);
  };
}

describe('fileCdcOutput: file-system failures are IO_FAILED with the path and the cause', () => {
  it('a checkpoint path that is a directory (EISDIR), on start and in readFileSink', async () => {
    await using dir = await tempDir();
    await mkdir(join(dir.path, CHECKPOINT_FILE));
    const path = join(dir.path, CHECKPOINT_FILE);
    for (const attempt of [
      () => fileCdcOutput({ name: 'feed', directory: dir.path }).start({}),
      () => readFileSink(dir.path),
    ]) {
      const error: unknown = await attempt().then(
        () => 'resolved',
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ code: 'IO_FAILED', kind: 'cdcOutput', message: expect.stringContaining(path) });
      expect((error as Error).cause).toMatchObject({ code: 'EISDIR' });
    }
  });

  it('a sink path that is a directory (EISDIR)', async () => {
    await using dir = await tempDir();
    await mkdir(join(dir.path, SINK_FILE));
    await expect(fileCdcOutput({ name: 'feed', directory: dir.path }).start({})).rejects.toMatchObject({
      code: 'IO_FAILED',
      message: expect.stringContaining(join(dir.path, SINK_FILE)),
      cause: expect.objectContaining({ code: 'EISDIR' }),
    });
    await expect(readFileSink(dir.path)).rejects.toMatchObject({
      code: 'IO_FAILED',
      message: expect.stringContaining('not a regular file'),
    });
  });

  it('a full disk under the sink (ENOSPC): the write fails typed, and so does every later call', async () => {
    await using dir = await tempDir();
    const stream = await fileCdcOutput({ name: 'feed', directory: dir.path, bufferBytes: 1 }).start({ fromLsn: 0n });
    await failNextHandleCall(dir.path, 'write', systemError('ENOSPC'));
    const error: unknown = await stream.deliver(batchAt(0n, 2)).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'IO_FAILED',
      key: 'feed',
      message: expect.stringContaining(join(dir.path, SINK_FILE)),
    });
    expect((error as Error).message).toContain('ENOSPC');
    expect((error as Error).cause).toMatchObject({ code: 'ENOSPC' });
    await expect(stream.checkpoint()).rejects.toMatchObject({
      code: 'IO_FAILED',
      message: expect.stringContaining('ENOSPC'),
    });
    await stream.shutdown();
  });

  it.skipIf(!existsSync('/dev/full'))(
    'a sink that is a symbolic link (to /dev/full) is refused, never written through',
    async () => {
      await using dir = await tempDir();
      await symlink('/dev/full', join(dir.path, SINK_FILE));
      await expect(fileCdcOutput({ name: 'feed', directory: dir.path }).start({ fromLsn: 0n })).rejects.toMatchObject({
        code: 'IO_FAILED',
        message: expect.stringContaining(`${join(dir.path, SINK_FILE)} is a symbolic link to /dev/full`),
      });
    },
  );

  it('a checkpoint write that fails after the sink was synced: IO_FAILED, and the next start keeps those batches', async () => {
    await using dir = await tempDir();
    const output = fileCdcOutput({ name: 'feed', directory: dir.path });
    const stream = await output.start({ fromLsn: 0n });
    const batches = batchesOf([2, 2, 2]);
    await stream.deliver(batches[0]!);
    await stream.checkpoint();
    await stream.deliver(batches[1]!);
    await failNextHandleCall(dir.path, 'writeFile', systemError('ENOSPC'));
    await expect(stream.checkpoint()).rejects.toMatchObject({
      code: 'IO_FAILED',
      message: expect.stringContaining(join(dir.path, CHECKPOINT_FILE)),
      cause: expect.objectContaining({ code: 'ENOSPC' }),
    });
    await expect(stream.deliver(batches[2]!)).rejects.toMatchObject({ code: 'IO_FAILED' });
    await stream.shutdown();
    // The host restarts from the LSN it last saw acknowledged (2) and re-feeds: nothing lost, nothing twice.
    const restarted = await output.start({ fromLsn: 2n });
    for (const batch of batches.slice(1)) await restarted.deliver(batch);
    expect(await restarted.checkpoint()).toBe(6n);
    await restarted.shutdown();
    expect(ranges((await readFileSink(dir.path)).batches)).toEqual(['0-2', '2-4', '4-6']);
  });

  it.skipIf(process.getuid?.() === 0)('a sink directory it may not write (EACCES)', async () => {
    await using dir = await tempDir();
    await chmod(dir.path, 0o500);
    try {
      await expect(fileCdcOutput({ name: 'feed', directory: dir.path }).start({})).rejects.toMatchObject({
        code: 'IO_FAILED',
        cause: expect.objectContaining({ code: 'EACCES' }),
      });
    } finally {
      await chmod(dir.path, 0o700);
    }
  });
});

describe('fileCdcOutput: crafted checkpoints (valid checksum, absurd fields)', () => {
  async function sinkWithCheckpoint(dir: string): Promise<unknown[]> {
    const stream = await fileCdcOutput({ name: 'feed', directory: dir }).start({ fromLsn: 0n });
    for (const batch of batchesOf([2, 2])) await stream.deliver(batch);
    await stream.checkpoint();
    await stream.shutdown();
    return unpack(unframeChecked(new Uint8Array(await readFile(join(dir, CHECKPOINT_FILE))))) as unknown[];
  }

  const absurd: readonly [string, (fields: unknown[]) => unknown[]][] = [
    ['offset 2^53 - 1', (f) => Object.assign([...f], { 3: Number.MAX_SAFE_INTEGER })],
    ['last record past the offset', (f) => Object.assign([...f], { 4: (f[3] as number) + 10 })],
    ['records 2^53 - 1', (f) => Object.assign([...f], { 7: Number.MAX_SAFE_INTEGER })],
    ['generation 2^40', (f) => Object.assign([...f], { 6: 2 ** 40 })],
    ['digest beyond 32 bits', (f) => Object.assign([...f], { 8: 2 ** 40 })],
    ['LSN 2^64', (f) => Object.assign([...f], { 2: 2n ** 64n })],
    ['an extra field', (f) => [...f, 0]],
    ['a base LSN after the LSN', (f) => Object.assign([...f], { 5: (f[2] as bigint) + 1n })],
  ];

  it.each(absurd)('%s: CORRUPT_INPUT at once, for start and readFileSink', async (_, patch) => {
    await using dir = await tempDir();
    const fields = await sinkWithCheckpoint(dir.path);
    await writeFile(join(dir.path, CHECKPOINT_FILE), frameChecked(pack(patch(fields))));
    await expect(fileCdcOutput({ name: 'feed', directory: dir.path }).start({})).rejects.toMatchObject(
      typedError('CORRUPT_INPUT'),
    );
    await expect(readFileSink(dir.path)).rejects.toMatchObject(typedError('CORRUPT_INPUT'));
  });
});
