import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { startServerWatchdog } from './serverWatchdog.js';

/** A stand-in postmaster: a process that runs until a signal ends it. */
function standIn(): ChildProcess {
  return spawn(process.execPath, ['-e', 'setInterval(() => undefined, 1 << 30)'], { stdio: 'ignore' });
}

/** How `child` ended, or `running` if it is still alive after `ms`. */
async function endOf(child: ChildProcess, ms: number): Promise<string> {
  const exited = once(child, 'exit').then(([code, signal]) => String(signal ?? code));
  return Promise.race([exited, delay(ms, 'running')]);
}

describe('serverWatchdog', () => {
  it('after a restart, stops the new postmaster it was told about (not the old pid) before removing the directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'baton-watchdog-'));
    const first = standIn();
    const second = standIn();
    try {
      await writeFile(join(dir, 'postmaster.pid'), `${first.pid}\n`);
      const watchdog = startServerWatchdog(first.pid!, dir);
      // The restart: the first postmaster is gone, the second took over the directory.
      first.kill('SIGKILL');
      await once(first, 'exit');
      await writeFile(join(dir, 'postmaster.pid'), `${second.pid}\n`);
      watchdog.watch(second.pid!);
      watchdog.release(); // as when the owner dies: the pipe closes
      expect(await endOf(second, 15_000)).toBe('SIGINT'); // a fast shutdown request, from the watchdog
      for (let i = 0; existsSync(dir) && i < 200; i++) await delay(50); // only the watchdog can remove it
      expect(existsSync(dir)).toBe(false);
    } finally {
      first.kill('SIGKILL');
      second.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });
});
