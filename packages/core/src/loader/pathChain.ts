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
function formatMode(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/**
 * Walks `path` from `/` the way the kernel resolves it, checking every directory it passes through
 * and every symbolic link it follows, like ssh's StrictModes: each must belong to root or to this
 * process's user, and no directory may be writable by its group or by others — except a sticky
 * shared directory such as /tmp above the runtime directory, where others cannot replace this user's
 * entries; then, since Node's module resolution reads `node_modules` and `package.json` in every
 * ancestor of the code it imports (and anyone who can create entries there steers it), a project of
 * this user's (`node_modules` and `package.json`) must lie between it and the runtime directory.
 * Throws `UNSAFE_PATH` naming the first unsafe component, why, and how to fix it; a component that
 * cannot be inspected is `IO_FAILED`.
 *
 * Once every component passed, nobody but root and this user can change what the path resolves
 * to, so using the path afterwards is as safe as the check.
 */
export async function walkPathChain(path: string, subject: ChainSubject): Promise<PathChain> {
  const pending = components(resolve(path));
  let current: string = sep;
  const boundary = new ProjectBoundary(subject);
  const top = await inspect(current, subject);
  await checkComponent(current, top, subject);
  await boundary.visit(current, top);
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
      if (errnoOf(error) === 'ENOENT') {
        boundary.check();
        return { real: join(next, ...pending), stoppedAt: next };
      }
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
    if (!stats.isDirectory()) {
      boundary.check();
      return { real: join(next, ...pending), stoppedAt: next };
    }
    await checkComponent(next, stats, subject);
    await boundary.visit(next, stats);
    current = next;
  }
  boundary.check();
  return { real: current };
}

/**
 * Tracks the shared sticky directories (such as /tmp) a walk passes, and whether a project lies
 * between the last one and the runtime directory. Node resolves a plugin's bare imports through the
 * nearest `node_modules` and reads `type` and `imports` from the nearest `package.json`, searching
 * every ancestor: below a shared directory, another user could create those in it. A directory of
 * this user's below it that holds both (a project checked out under /tmp, say) ends the search there.
 */
class ProjectBoundary {
  #shared: { readonly path: string; readonly stats: Stats } | undefined;
  #modules = false;
  #manifest = false;

  constructor(private readonly subject: ChainSubject) {}

  /** Notes a directory of the path (already checked): a shared one starts a new search. */
  async visit(path: string, stats: Stats): Promise<void> {
    if (isShared(stats)) {
      this.#shared = { path, stats };
      this.#modules = false;
      this.#manifest = false;
      return;
    }
    if (this.#shared === undefined) return;
    this.#modules ||= await isEntry(join(path, 'node_modules'), 'directory');
    this.#manifest ||= await isEntry(join(path, 'package.json'), 'file');
  }

  /** Throws `UNSAFE_PATH` when the runtime directory lies below a shared directory with no project in between. */
  check(): void {
    const shared = this.#shared;
    if (shared === undefined || (this.#modules && this.#manifest)) return;
    throw unsafe(
      this.subject,
      shared.path,
      shared.stats,
      `it lies below ${shared.path}, a shared directory (mode ${formatMode(shared.stats.mode)}) where another user can create node_modules or package.json, which Node reads when resolving the imports of every plugin below it, and no project (a directory of this user's with node_modules and package.json) lies in between`,
      `choose a runtime directory inside your project (e.g. <project>/.baton/runtime) or outside ${shared.path}`,
    );
  }
}

/** A sticky directory others may write to (/tmp): they can add entries but not replace this user's. */
function isShared(stats: Stats): boolean {
  return (stats.mode & 0o1000) !== 0 && (stats.mode & 0o002) !== 0;
}

async function isEntry(path: string, kind: 'directory' | 'file'): Promise<boolean> {
  try {
    const stats = await lstat(path);
    return kind === 'directory' ? stats.isDirectory() || stats.isSymbolicLink() : stats.isFile();
  } catch {
    return false;
  }
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
  // A sticky shared directory (/tmp) may be on the path, but not be the runtime directory itself:
  // others cannot replace this user's entries there, and ProjectBoundary sees to module resolution.
  if (isShared(stats) && what !== undefined) return;
  const shared = isShared(stats);
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
function unsafe(subject: ChainSubject, path: string, stats: Stats, why: string, fix: string): ReloadError {
  return new ReloadError({
    code: 'UNSAFE_PATH',
    phase: 'load',
    ...(subject.plugin === undefined ? {} : { plugin: subject.plugin }),
    message: `refusing the runtime directory ${subject.root}: ${why}; whoever can write there can replace the plugin code Baton imports. Fix: ${fix}`,
    details: { path, runtimeDirectory: subject.root, uid: stats.uid, mode: stats.mode & 0o7777 },
  });
}
