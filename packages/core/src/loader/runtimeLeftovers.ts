import { randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { errnoOf } from './fsErrors.js';

/**
 * What a directory beside an installed copy is: a copy being written (`staging`), a damaged copy
 * moved aside (`damaged`), or a copy private to one process (`private`, imported when the shared
 * copy was replaced under its import).
 */
export type SideKind = 'staging' | 'damaged' | 'private';

const SIDE_NAME = /^\..+\.(\d+)\.[0-9a-f]{8}\.(staging|damaged|private)$/;

/** A fresh hidden name beside `directory` for a side directory of this process. */
export function sideName(directory: string, kind: SideKind): string {
  return join(dirname(directory), `.${basename(directory)}.${process.pid}.${randomBytes(4).toString('hex')}.${kind}`);
}

/**
 * Removes the side directories in a plugin's runtime folder left by processes that no longer run
 * (a crash between writing and renaming, or a private copy of an ended process). Best effort: a
 * failure to remove one is left for the next sweep.
 */
export async function sweepLeftovers(parent: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(parent);
  } catch {
    return;
  }
  for (const name of names) {
    const match = SIDE_NAME.exec(name);
    if (!match || isAlive(Number(match[1]))) continue;
    await rm(join(parent, name), { recursive: true, force: true }).catch(() => undefined);
  }
}

/** Whether the process `pid` runs (as any user). */
export function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoOf(error) === 'EPERM'; // alive, another user's
  }
}
