import { execFileSync } from 'node:child_process';
import { closeSync, constants, existsSync, openSync } from 'node:fs';
import { readdir, symlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { batchAt, ranges, tempDir, typedError } from './__tests__/cdcFixtures.js';
import { CHECKPOINT_FILE, SINK_FILE } from './fileCheckpoint.js';
import { fileCdcOutput } from './fileCdcOutput.js';
import { encodeLockOwner, newLockOwner } from './lockOwner.js';
import { readFileSink } from './readFileSink.js';
import { LOCK_FILE } from './sinkLock.js';

const unblockers: (() => void)[] = [];
afterEach(() => {
  for (const unblock of unblockers.splice(0)) unblock();
});

/**
 * Plants a FIFO at `path`. At cleanup it is opened read-write, which releases a reader a regression
 * left blocked in `open`: a failing test then fails instead of hanging its worker.
 */
function fifo(path: string): void {
  execFileSync('mkfifo', [path]);
  unblockers.push(() => {
    if (existsSync(path)) closeSync(openSync(path, constants.O_RDWR | constants.O_NONBLOCK));
  });
}

/** Resolves once nothing holds the sink's lock file (the release is asynchronous). */
const lockReleased = (dir: string): Promise<void> =>
  vi.waitFor(
    () => {
      expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    },
    { timeout: 5000, interval: 5 },
  );

describe('file CDC state files that are not regular files', () => {
  it.each([LOCK_FILE, CHECKPOINT_FILE, SINK_FILE])(
    'a FIFO planted as %s: start is IO_FAILED naming it (never hangs), and the lock is released',
    async (name) => {
      await using dir = await tempDir();
      fifo(join(dir.path, name));
      const start = fileCdcOutput({ name: 'feed', directory: dir.path }).start({ signal: AbortSignal.timeout(10_000) });
      await expect(start).rejects.toMatchObject(typedError('IO_FAILED', `${join(dir.path, name)} is a FIFO`));
      if (name !== LOCK_FILE) await lockReleased(dir.path);
    },
  );

  it.each([CHECKPOINT_FILE, SINK_FILE])('a FIFO planted as %s: readFileSink is IO_FAILED naming it', async (name) => {
    await using dir = await tempDir();
    fifo(join(dir.path, name));
    await expect(readFileSink(dir.path)).rejects.toMatchObject(
      typedError('IO_FAILED', `${join(dir.path, name)} is a FIFO`),
    );
  });

  it('a dangling symbolic link as the lock file is named as such, not as a contended lock', async () => {
    await using dir = await tempDir();
    await symlink(join(dir.path, 'nowhere'), join(dir.path, LOCK_FILE));
    const error: unknown = await fileCdcOutput({ name: 'feed', directory: dir.path })
      .start({})
      .catch((e: unknown) => e);
    expect(error).toMatchObject(
      typedError(
        'IO_FAILED',
        `${join(dir.path, LOCK_FILE)} is a symbolic link to ${join(dir.path, 'nowhere')} (dangling)`,
      ),
    );
    expect((error as Error).message).not.toContain('contended');
  });

  it('a symbolic link as the checkpoint is refused, and the file it points at is never read or replaced', async () => {
    await using dir = await tempDir();
    const stream = await fileCdcOutput({ name: 'feed', directory: dir.path }).start({ fromLsn: 0n });
    await stream.deliver(batchAt(0n, 2));
    await stream.checkpoint();
    await stream.shutdown();
    await writeFile(join(dir.path, 'elsewhere'), 'not a checkpoint');
    await unlink(join(dir.path, CHECKPOINT_FILE));
    await symlink(join(dir.path, 'elsewhere'), join(dir.path, CHECKPOINT_FILE));
    await expect(fileCdcOutput({ name: 'feed', directory: dir.path }).start({})).rejects.toMatchObject(
      typedError('IO_FAILED', 'is a symbolic link'),
    );
    await expect(readFileSink(dir.path)).rejects.toMatchObject(typedError('IO_FAILED', 'is a symbolic link'));
    await lockReleased(dir.path);
    expect((await readdir(dir.path)).sort()).toEqual([CHECKPOINT_FILE, SINK_FILE, 'elsewhere'].sort());
  });
});

describe('fileCdcOutput().start honours its signal', () => {
  it('while it waits for a lock another taker is taking over: ABORTED, and the lock is left to the next holder', async () => {
    await using dir = await tempDir();
    const lock = join(dir.path, LOCK_FILE);
    // A stale lock (dead holder) that a live taker (this process, another token) is in the middle of taking over:
    // a start waits for that taker, retrying for about a second before it gives up with LOCKED.
    const stale = { ...(await newLockOwner()), pid: 4_194_304 + 1234 };
    await writeFile(lock, encodeLockOwner(stale));
    await writeFile(`${lock}.takeover-${stale.token}`, encodeLockOwner(await newLockOwner()));
    const start = fileCdcOutput({ name: 'feed', directory: dir.path }).start({ signal: AbortSignal.timeout(50) });
    await expect(start).rejects.toMatchObject(typedError('ABORTED', 'start aborted'));

    await unlink(`${lock}.takeover-${stale.token}`); // the other taker is gone: the next start takes the lock
    const stream = await fileCdcOutput({ name: 'feed', directory: dir.path }).start({ fromLsn: 0n });
    await stream.deliver(batchAt(0n, 2));
    await stream.checkpoint();
    await stream.shutdown();
    await lockReleased(dir.path);
    expect(ranges((await readFileSink(dir.path)).batches)).toEqual(['0-2']);
  });

  it('an aborted signal is ABORTED before anything is touched', async () => {
    await using dir = await tempDir();
    const controller = new AbortController();
    controller.abort(new Error('gave up'));
    await expect(
      fileCdcOutput({ name: 'feed', directory: join(dir.path, 'sink') }).start({ signal: controller.signal }),
    ).rejects.toMatchObject(typedError('ABORTED'));
    expect(await readdir(dir.path)).toEqual([]);
  });
});
