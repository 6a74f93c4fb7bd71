import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readChecked, writeChecked } from './atomicFile.js';
import { openRegularFile } from './regularFile.js';
import { fileReloadJournal } from './reloadJournal.js';
import { SnapshotSlots } from './snapshotSlots.js';

/** What can be planted where a state file is expected, and what the refusal must say about it. */
type Planted = 'fifo' | 'socket' | 'directory' | 'symlink' | 'dangling symlink' | 'device symlink';
const SAYS: Record<Planted, string> = {
  fifo: 'is a FIFO',
  socket: 'is a socket',
  directory: 'is a directory',
  symlink: 'is a symbolic link to',
  'dangling symlink': '(dangling)',
  'device symlink': 'is a symbolic link to /dev/zero',
};
const KINDS = Object.keys(SAYS) as Planted[];

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function scratch(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'baton-regular-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Plants `kind` at `path`. A FIFO is also opened read-write at cleanup: that releases a reader a
 * regression left blocked in `open`, so a failing test fails instead of hanging the worker.
 */
async function plant(kind: Planted, path: string): Promise<void> {
  if (kind === 'fifo') {
    execFileSync('mkfifo', [path]);
    cleanups.push(() => {
      closeSync(openSync(path, constants.O_RDWR | constants.O_NONBLOCK));
    });
  } else if (kind === 'socket') {
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(path, resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) =>
          server.close(() => {
            resolve();
          }),
        ),
    );
  } else if (kind === 'directory') {
    await mkdir(path);
  } else if (kind === 'symlink') {
    await writeFile(`${path}.target`, 'x');
    await symlink(`${path}.target`, path);
  } else if (kind === 'dangling symlink') {
    await symlink(`${path}.nowhere`, path);
  } else {
    await symlink('/dev/zero', path);
  }
}

const refused = (path: string, kind: Planted): Record<string, unknown> => ({
  code: 'IO_FAILED',
  message: expect.stringMatching(
    new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*${SAYS[kind].replace(/[()]/g, '\\$&')}`),
  ),
});

describe('state files are opened without blocking or following links, and must be regular files', () => {
  it.each(KINDS)('openRegularFile refuses a %s, naming the path and what is there', async (kind) => {
    const path = join(await scratch(), 'state');
    await plant(kind, path);
    await expect(openRegularFile(path)).rejects.toMatchObject(refused(path, kind));
    await expect(openRegularFile(path, { flags: constants.O_RDWR | constants.O_CREAT })).rejects.toMatchObject({
      code: 'IO_FAILED',
      message: expect.stringContaining(path),
    });
  });

  it.each(KINDS)('readChecked, SnapshotSlots and fileReloadJournal refuse a %s with IO_FAILED', async (kind) => {
    const dir = await scratch();
    await plant(kind, join(dir, 'state'));
    await expect(readChecked(join(dir, 'state'))).rejects.toMatchObject(refused(join(dir, 'state'), kind));
    await plant(kind, join(dir, 'snap.a'));
    await expect(new SnapshotSlots(dir, 'snap').read()).rejects.toMatchObject(refused(join(dir, 'snap.a'), kind));
    await expect(new SnapshotSlots(dir, 'snap').write(new Uint8Array([1]))).rejects.toMatchObject({
      code: 'IO_FAILED',
    });
    await plant(kind, join(dir, 'reload-journal.b'));
    const journal = fileReloadJournal(dir);
    await expect(journal.read()).rejects.toMatchObject(refused(join(dir, 'reload-journal.b'), kind));
    await expect(journal.write({ plugins: {}, sequence: 1 })).rejects.toMatchObject({ code: 'IO_FAILED' });
  });

  it('a regular file is read as before, and an atomic write replaces a planted FIFO instead of writing into it', async () => {
    const dir = await scratch();
    const path = join(dir, 'state');
    await plant('fifo', path);
    await writeChecked(path, new TextEncoder().encode('fresh'));
    expect(new TextDecoder().decode(await readChecked(path))).toBe('fresh');
    const { handle, size } = await openRegularFile(path);
    await handle.close();
    expect(size).toBeGreaterThan(5);
  });
});
