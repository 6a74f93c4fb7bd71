import { lstat, readlink } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { isAbsolute, join, resolve, sep } from 'node:path';
import { ReloadError } from '../errors/reloadError.js';
import { errnoOf, fsError } from './fsErrors.js';

/** How many symbolic links one walk follows before it gives up (Linux's limit). */
const MAX_LINKS = 40;

/** What {@link walkPathChain} found. */
export interface PathChain {
  /** The real path reached (every symbolic link on the way resolved). */
  readonly real: string;
  /**
   * Set when the walk stopped early at a component that does not exist or is not a directory: that
   * component (a real path). Everything above it was checked.
   */
  readonly stoppedAt?: string;
}

/** The uid the runtime directories must belong to (`undefined` where the platform has no uids). */
export function currentUid(): number | undefined {
  return typeof process.getuid === 'function' ? process.getuid() : undefined;
}

/** A mode as `ls -l` users write it: `0755`, `1777`. */
export function formatMode(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/**
 * Walks `path` from `/` the way the kernel resolves it, checking every directory it passes through
 * and every symbolic link it follows, like ssh's StrictModes: each must belong to root or to this
 * process's user, and no directory may be writable by its group or by others — sticky or not, since
 * Node's module resolution reads `node_modules` and `package.json` in every ancestor of the code it
 * imports, and anyone who can create entries there steers it. Throws `UNSAFE_PATH` naming the first
 * unsafe component, why, and how to fix it; a component that cannot be inspected is `IO_FAILED`.
 *
 * Once every component passed, nobody but root and this user can change what the path resolves
 * to, so using the path afterwards is as safe as the check.
 */
export async function walkPathChain(path: string, subject: ChainSubject): Promise<PathChain> {
  const pending = components(resolve(path));
  let current: string = sep;
  await checkComponent(current, await inspect(current, subject), subject);
  let links = 0;
  while (pending.length > 0) {
    const name = pending.shift()!;
    if (name === '.' || name === '') continue;
    if (name === '..') {
      current = resolve(current, '..'); // already checked on the way down
      continue;
    }
    const next = join(current, name);
    let stats: Stats;
    try {
      stats = await lstat(next);
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return { real: join(next, ...pending), stoppedAt: next };
      throw fsError(error, { doing: `checking ${next}, on the path of`, path: subject.root, plugin: subject.plugin });
    }
    if (stats.isSymbolicLink()) {
      checkOwner(next, stats, subject, 'a symbolic link on its path');
      if (++links > MAX_LINKS)
        throw unsafe(
          subject,
          next,
          stats,
          `more than ${MAX_LINKS} symbolic links are followed on its path`,
          'resolve the links',
        );
      const target = await readlink(next).catch((error: unknown) => {
        throw fsError(error, {
          doing: `reading the link ${next}, on the path of`,
          path: subject.root,
          plugin: subject.plugin,
        });
      });
      pending.unshift(...components(target));
      if (isAbsolute(target)) current = sep;
      continue;
    }
    if (!stats.isDirectory()) return { real: join(next, ...pending), stoppedAt: next };
    await checkComponent(next, stats, subject);
    current = next;
  }
  return { real: current };
}

/** Whose path is walked, for messages. */
export interface ChainSubject {
  /** The path as the caller gave it (the runtime directory). */
  readonly root: string;
  readonly plugin?: string | undefined;
}

function components(path: string): string[] {
  return path.split(sep).filter((part) => part.length > 0);
}

async function inspect(path: string, subject: ChainSubject): Promise<Stats> {
  try {
    return await lstat(path);
  } catch (error) {
    throw fsError(error, { doing: `checking ${path}, on the path of`, path: subject.root, plugin: subject.plugin });
  }
}

async function checkComponent(path: string, stats: Stats, subject: ChainSubject): Promise<void> {
  const what = resolve(subject.root) === path ? undefined : 'a directory on its path';
  checkOwner(path, stats, subject, what);
  if (currentUid() === undefined || (stats.mode & 0o022) === 0) return;
  const shared = (stats.mode & 0o1000) !== 0 && (stats.mode & 0o002) !== 0;
  throw unsafe(
    subject,
    path,
    stats,
    `${what === undefined ? 'it is' : `${path}, ${what}, is`} writable by its group or others (mode ${formatMode(stats.mode)}${
      shared
        ? ': a shared directory such as /tmp, where another user can create node_modules or package.json, which Node reads when resolving the imports of every plugin below it'
        : ''
    })`,
    shared
      ? `choose a runtime directory outside ${path}, e.g. <project>/.baton/runtime, whose every parent belongs to root or this user and is not writable by others`
      : `run chmod go-w ${path}, or choose a runtime directory whose every parent belongs to root or this user and is not writable by others`,
  );
}

function checkOwner(path: string, stats: Stats, subject: ChainSubject, what: string | undefined): void {
  const uid = currentUid();
  if (uid === undefined || stats.uid === uid || stats.uid === 0) return;
  throw unsafe(
    subject,
    path,
    stats,
    `${what === undefined ? 'it is' : `${path}, ${what}, is`} owned by uid ${stats.uid}, not by this process's user (uid ${uid}) or root`,
    stats.isSymbolicLink()
      ? `remove the link and give the real directory, or have root or uid ${uid} own it`
      : `run chown ${uid} ${path}, or choose a runtime directory whose every parent belongs to root or this user`,
  );
}

/** The `UNSAFE_PATH` error of the runtime directory `subject.root`, whose component `path` is unsafe. */
export function unsafe(subject: ChainSubject, path: string, stats: Stats, why: string, fix: string): ReloadError {
  return new ReloadError({
    code: 'UNSAFE_PATH',
    phase: 'load',
    ...(subject.plugin === undefined ? {} : { plugin: subject.plugin }),
    message: `refusing the runtime directory ${subject.root}: ${why}; whoever can write there can replace the plugin code Baton imports. Fix: ${fix}`,
    details: { path, runtimeDirectory: subject.root, uid: stats.uid, mode: stats.mode & 0o7777 },
  });
}
