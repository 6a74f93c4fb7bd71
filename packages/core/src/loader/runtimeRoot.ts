import { chmod, lstat, mkdir, realpath } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { syncDirectory } from '../durable/atomicFile.js';
import { ReloadError } from '../errors/reloadError.js';
import { errnoOf, fsCall, fsError } from './fsErrors.js';

/** Entries that would take part in Node's module resolution of every plugin below them. */
const RESOLUTION_ENTRIES = ['node_modules', 'package.json'] as const;

/** The uid the runtime directories must belong to (`undefined` where the platform has no uids). */
export function currentUid(): number | undefined {
  return typeof process.getuid === 'function' ? process.getuid() : undefined;
}

/**
 * Creates (0700) or checks the runtime root and returns its real path. Like ssh's StrictModes, it
 * refuses with `UNSAFE_PATH` a root, or a parent this call created, that is not a directory, is
 * owned by another user, or is writable by its group or others: whoever can write there can swap
 * the code Baton imports. It also refuses a `node_modules` or `package.json` in the root, which
 * would steer the module resolution of every plugin. A root that passes is made 0700.
 */
export async function prepareRuntimeRoot(root: string, plugin?: string): Promise<string> {
  const first = await fsCall({ doing: 'creating the runtime directory', path: root, plugin }, () =>
    mkdir(root, { recursive: true, mode: 0o700 }),
  );
  const real = await fsCall({ doing: 'resolving the runtime directory', path: root, plugin }, () => realpath(root));
  const checked = [real, ...createdChain(first, root)];
  for (const path of checked) await checkPrivateDirectory(path, plugin);
  if (first !== undefined) {
    for (const path of createdChain(first, root)) await syncDirectory(dirname(path)); // the new entries are durable
  }
  await makePrivate(real, plugin);
  await refuseResolutionEntries(real, plugin);
  return real;
}

/**
 * Creates (0700) or checks one directory inside the runtime root with the same rules, and refuses a
 * `node_modules` or `package.json` in it.
 */
export async function preparePrivateDirectory(path: string, plugin?: string): Promise<void> {
  try {
    await mkdir(path, { mode: 0o700 });
    await syncDirectory(dirname(path));
  } catch (error) {
    if (errnoOf(error) !== 'EEXIST') throw fsError(error, { doing: 'creating the directory', path, plugin });
  }
  await checkPrivateDirectory(path, plugin);
  await makePrivate(path, plugin);
  await refuseResolutionEntries(path, plugin);
}

/** The directories `mkdir -p root` created, from `first` down to `root`. */
function createdChain(first: string | undefined, root: string): string[] {
  if (first === undefined) return [];
  const parts = relative(first, root).split(sep).filter(Boolean);
  const out = [first];
  for (const part of parts) out.push(join(out.at(-1)!, part));
  return out;
}

async function checkPrivateDirectory(path: string, plugin?: string): Promise<void> {
  const stats: Stats = await fsCall({ doing: 'checking', path, plugin }, () => lstat(path));
  const unsafe = (why: string, fix: string): ReloadError =>
    new ReloadError({
      code: 'UNSAFE_PATH',
      phase: 'load',
      ...(plugin === undefined ? {} : { plugin }),
      message: `refusing the runtime directory ${path}: ${why}; whoever can write there can replace the plugin code Baton imports (${fix})`,
      details: { path, uid: stats.uid, mode: stats.mode & 0o7777 },
    });
  if (stats.isSymbolicLink() || !stats.isDirectory())
    throw unsafe('it is not a directory', 'remove it or choose another path');
  const uid = currentUid();
  if (uid === undefined) return;
  if (stats.uid !== uid)
    throw unsafe(
      `it is owned by uid ${stats.uid}, not by this process's user (uid ${uid})`,
      'use a directory this user owns, or chown it',
    );
  if ((stats.mode & 0o022) !== 0)
    throw unsafe(
      `it is writable by its group or others (mode ${(stats.mode & 0o777).toString(8).padStart(4, '0')})`,
      `run chmod go-w ${path}, or choose another path`,
    );
}

async function makePrivate(path: string, plugin?: string): Promise<void> {
  const stats = await fsCall({ doing: 'checking', path, plugin }, () => lstat(path));
  if ((stats.mode & 0o777) !== 0o700) await fsCall({ doing: 'chmod 0700', path, plugin }, () => chmod(path, 0o700));
}

async function refuseResolutionEntries(directory: string, plugin?: string): Promise<void> {
  for (const name of RESOLUTION_ENTRIES) {
    const path = join(directory, name);
    const present = await lstat(path).then(
      () => true,
      (error: unknown) => {
        if (errnoOf(error) === 'ENOENT') return false;
        throw fsError(error, { doing: 'checking', path, plugin });
      },
    );
    if (present)
      throw new ReloadError({
        code: 'UNSAFE_PATH',
        phase: 'load',
        ...(plugin === undefined ? {} : { plugin }),
        message: `refusing the runtime directory ${directory}: it holds ${name}, which would take part in resolving the imports of every plugin installed below it; remove it (the runtime directory holds only installed artifacts)`,
        details: { path },
      });
  }
}
