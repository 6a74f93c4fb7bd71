import { spawn } from 'node:child_process';
import type { Writable } from 'node:stream';

/**
 * The watchdog's program. It waits for its stdin to close — the owning process closed it after a
 * clean stop, or died (exit, a signal, SIGKILL: the kernel closes the pipe either way) — then stops
 * the postmaster if it still runs (SIGINT, a fast shutdown; SIGQUIT after 5 s; SIGKILL after 10 s),
 * but only while `postmaster.pid` in the data directory still names it (a reused pid is left
 * alone), and removes the data directory. A line `pid <n>` on its stdin says the server was restarted:
 * from then on it watches the new postmaster `n` (a restart on the same directory, see
 * `EmbeddedRunning.restart`).
 */
const PROGRAM = String.raw`
const { readFileSync, rmSync } = require('node:fs');
const { join } = require('node:path');
let pid = Number(process.env.BATON_PG_PID);
const dir = process.env.BATON_PG_DIR;
const owns = () => {
  try { return Number(readFileSync(join(dir, 'postmaster.pid'), 'utf8').split('\n')[0]) === pid; } catch { return false; }
};
const alive = () => { try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; } };
let started = 0;
const finish = () => {
  const waited = Date.now() - started;
  if (alive() && owns()) {
    if (waited > 10000) process.kill(pid, 'SIGKILL');
    else if (waited > 5000) process.kill(pid, 'SIGQUIT');
    setTimeout(finish, 50);
    return;
  }
  try { rmSync(dir, { recursive: true, force: true, maxRetries: 3 }); } catch {}
  process.exit(0);
};
const cleanup = () => {
  if (started) return;
  started = Date.now();
  if (alive() && owns()) { try { process.kill(pid, 'SIGINT'); } catch {} }
  finish();
};
let pending = '';
process.stdin.on('data', (chunk) => {
  pending += chunk.toString('utf8');
  const lines = pending.split('\n');
  pending = lines.pop();
  for (const line of lines) {
    const match = /^pid (\d+)$/.exec(line.trim());
    if (match && !started) pid = Number(match[1]);
  }
});
process.stdin.on('end', cleanup);
process.stdin.on('close', cleanup);
process.stdin.on('error', cleanup);
process.stdin.resume();
`;

/** A running watchdog; {@link ServerWatchdog.release} lets it go after a clean stop. */
export interface ServerWatchdog {
  /** The server was restarted on the same directory: watch the new postmaster `pid` from now on. */
  watch(pid: number): void;
  /** Closes the pipe: the watchdog finds the server stopped and the directory gone, and exits. */
  release(): void;
}

/**
 * Starts a detached process that stops the postmaster `pid` and removes `dataDirectory` when this
 * process goes away without stopping it — whether it exits, is killed by a signal, or is SIGKILLed —
 * so an embedded server never outlives its owner. Detached: a Ctrl-C sent to the terminal's process
 * group does not kill the watchdog before it has cleaned up. It holds no reference on this
 * process's event loop.
 */
export function startServerWatchdog(pid: number, dataDirectory: string): ServerWatchdog {
  const child = spawn(process.execPath, ['-e', PROGRAM], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
    env: { PATH: process.env.PATH ?? '', BATON_PG_PID: String(pid), BATON_PG_DIR: dataDirectory },
  });
  const stdin = child.stdin as (Writable & { unref?: () => void }) | null;
  stdin?.on('error', () => undefined); // the watchdog died first: nothing to tell it
  stdin?.unref?.();
  child.unref();
  return {
    watch(pid) {
      stdin?.write(`pid ${pid}\n`);
    },
    release() {
      stdin?.end();
    },
  };
}
