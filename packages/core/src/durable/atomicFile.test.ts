import { chmod, mkdir, mkdtemp, open, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { frameChecked, readChecked, unframeChecked, writeChecked, writeFileAtomic } from './atomicFile.js';
import { errnoCode } from './ioError.js';
import { removeStaleTempFiles } from './tempFiles.js';

const scratch = () => mkdtemp(join(tmpdir(), 'baton-atomic-'));

describe('writeFileAtomic / readChecked', () => {
  it('replaces a file and leaves no temporary file behind', async () => {
    const dir = await scratch();
    const path = join(dir, 'checkpoint');
    await writeFileAtomic(path, new Uint8Array([1, 2]));
    await writeFileAtomic(path, new Uint8Array([3]));
    expect(new Uint8Array(await readFile(path))).toEqual(new Uint8Array([3]));
    expect(await readdir(dir)).toEqual(['checkpoint']);
  });

  it('round-trips checked files and reports missing ones as undefined', async () => {
    const dir = await scratch();
    const path = join(dir, 'state');
    expect(await readChecked(path)).toBeUndefined();
    await writeChecked(path, new TextEncoder().encode('hello'));
    expect(new TextDecoder().decode(await readChecked(path))).toBe('hello');
  });

  it('detects a torn file and a flipped byte', async () => {
    const dir = await scratch();
    const path = join(dir, 'state');
    const framed = frameChecked(new TextEncoder().encode('payload'));
    await writeFile(path, framed.subarray(0, framed.length - 2));
    await expect(readChecked(path)).rejects.toMatchObject({
      code: 'CORRUPT_INPUT',
      message: expect.stringContaining('torn write'),
    });
    const flipped = framed.slice();
    flipped[flipped.length - 1]! ^= 0xff;
    await writeFile(path, flipped);
    await expect(readChecked(path)).rejects.toMatchObject({
      code: 'CORRUPT_INPUT',
      message: expect.stringContaining('checksum'),
    });
    await expect(readChecked(path, { maxBytes: 2 })).rejects.toMatchObject({
      code: 'CORRUPT_INPUT',
      message: expect.stringContaining('exceeds the limit'),
    });
  });
});

test.prop([fc.uint8Array({ maxLength: 64 })])(
  'unframeChecked of random bytes is a typed error or the exact payload',
  (bytes) => {
    try {
      const payload = unframeChecked(bytes);
      expect(frameChecked(payload)).toEqual(bytes);
    } catch (error) {
      expect(error).toMatchObject({ code: 'CORRUPT_INPUT' });
    }
  },
);

test.prop([fc.uint8Array({ maxLength: 64 }), fc.nat(), fc.integer({ min: 1, max: 255 })])(
  'any single corrupted byte of a frame is detected',
  (payload, at, xor) => {
    const framed = frameChecked(payload);
    const i = at % framed.length;
    const bad = framed.slice();
    bad[i]! ^= xor;
    expect(() => unframeChecked(bad)).toThrow(expect.objectContaining({ code: 'CORRUPT_INPUT' }) as Error);
  },
);

/** A pid no process has: above Linux's largest pid_max (2^22). */
const DEAD_PID = 4_194_304 + 4321;

/** Makes the next `FileHandle.writeFile` of this process reject with a system error, or wait for a latch. */
async function onNextHandleWrite(dir: string, action: () => Promise<void>): Promise<() => void> {
  const probe = await open(join(dir, '.probe'), 'w');
  const proto = Object.getPrototypeOf(probe) as { writeFile: (...args: unknown[]) => Promise<void> };
  await probe.close();
  await rm(join(dir, '.probe'));
  const original = proto.writeFile;
  proto.writeFile = async function (this: unknown, ...args: unknown[]) {
    proto.writeFile = original;
    await action();
    return original.apply(this, args);
  };
  return () => void (proto.writeFile = original);
}

const systemError = (code: string): Error => Object.assign(new Error(`${code}: simulated`), { code });

describe('file-system failures are IO_FAILED with the path and the cause', () => {
  it('reading a path that is a directory (EISDIR)', async () => {
    const dir = await scratch();
    await mkdir(join(dir, 'state'));
    const error: unknown = await readChecked(join(dir, 'state')).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'IO_FAILED', message: expect.stringContaining(join(dir, 'state')) });
    expect((error as Error).cause).toMatchObject({ code: 'EISDIR' });
  });

  it('replacing a directory (EISDIR) leaves no temp file', async () => {
    const dir = await scratch();
    await mkdir(join(dir, 'state'));
    await writeFile(join(dir, 'state', 'inside'), 'x');
    const error: unknown = await writeChecked(join(dir, 'state'), new Uint8Array([1])).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'IO_FAILED', message: expect.stringContaining(join(dir, 'state')) });
    expect(errnoCode((error as Error).cause)).toMatch(/EISDIR|ENOTEMPTY|EEXIST/);
    expect((await readdir(dir)).sort()).toEqual(['state']);
  });

  it('a full disk (ENOSPC) while writing keeps the old content and removes the temp file', async () => {
    const dir = await scratch();
    const path = join(dir, 'checkpoint');
    await writeChecked(path, new TextEncoder().encode('old'));
    const restore = await onNextHandleWrite(dir, () => Promise.reject(systemError('ENOSPC')));
    try {
      const error: unknown = await writeChecked(path, new TextEncoder().encode('new')).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'IO_FAILED', message: expect.stringContaining(path) });
      expect((error as Error).message).toContain('ENOSPC');
      expect((error as Error).cause).toMatchObject({ code: 'ENOSPC' });
    } finally {
      restore();
    }
    expect(new TextDecoder().decode(await readChecked(path))).toBe('old');
    expect(await readdir(dir)).toEqual(['checkpoint']);
  });

  it.skipIf(process.getuid?.() === 0)('a directory it may not write (EACCES)', async () => {
    const dir = await scratch();
    await chmod(dir, 0o500);
    try {
      await expect(writeChecked(join(dir, 'x'), new Uint8Array([1]))).rejects.toMatchObject({
        code: 'IO_FAILED',
        cause: expect.objectContaining({ code: 'EACCES' }),
      });
    } finally {
      await chmod(dir, 0o700);
    }
  });

  it('reads at most the limit even when the file is larger than stat said', async () => {
    const dir = await scratch();
    const path = join(dir, 'big');
    await writeFile(path, new Uint8Array(64));
    await expect(readChecked(path, { maxBytes: 8 })).rejects.toMatchObject({ code: 'CORRUPT_INPUT' });
  });
});

describe('removeStaleTempFiles', () => {
  it('removes only the temp files of killed writes of that file', async () => {
    const dir = await scratch();
    const path = join(dir, 'checkpoint.bin');
    const hex = 'a1b2c3d4e5f6';
    const stale = [`.checkpoint.bin.${DEAD_PID}.${hex}.tmp`, `.checkpoint.bin.${process.pid}.${hex}.tmp`];
    const kept = [
      `.checkpoint.bin.${process.ppid}.${hex}.tmp`, // a live writer (our parent process)
      `.checkpoint.bin.1.abc.tmp`, // not our pattern
      `.other.bin.${DEAD_PID}.${hex}.tmp`, // another file's temp
      `checkpoint.bin.${DEAD_PID}.${hex}.tmp`,
      'checkpoint.bin',
    ];
    for (const name of [...stale, ...kept]) await writeFile(join(dir, name), 'x');
    expect((await removeStaleTempFiles(path)).sort()).toEqual(stale.map((n) => join(dir, n)).sort());
    expect((await readdir(dir)).sort()).toEqual([...kept].sort());
    expect(await removeStaleTempFiles(join(dir, 'missing', 'x'))).toEqual([]);
  });

  it('never removes the temp file of a write in flight in this process', async () => {
    const dir = await scratch();
    const path = join(dir, 'state');
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    let reached!: () => void;
    const atWrite = new Promise<void>((resolve) => (reached = resolve));
    await onNextHandleWrite(dir, async () => {
      reached();
      await blocked;
    });
    const writing = writeChecked(path, new TextEncoder().encode('v'));
    await atWrite;
    expect(await removeStaleTempFiles(path)).toEqual([]);
    release();
    await writing;
    expect(new TextDecoder().decode(await readChecked(path))).toBe('v');
  });
});
