import { lstat, mkdir } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { syncDirectory } from '../durable/atomicFile.js';
import { ReloadError } from '../errors/reloadError.js';
import { errnoOf, fsCall, fsError } from './fsErrors.js';
import { walkPathChain } from './pathChain.js';

export { currentUid } from './pathChain.js';

/** Entries that would take part in Node's module resolution of every plugin below them. */
const RESOLUTION_ENTRIES = ['node_modules', 'package.json'] as const;

/**
 * Creates (0700) or checks the runtime root and returns its real path, with ssh's StrictModes rule
 * for the whole path: every directory from `/` down to the root, and every symbolic link on the way,
 * must belong to root or this process's user, and no directory may be writable by its group or by
 * others (a sticky, world-writable directory such as `/tmp` included: Node's module resolution reads
 * `node_modules` and `package.json` in every ancestor). Else `UNSAFE_PATH`, naming the component,
 * its owner and mode, and the fix. The existing part of the path is checked before anything is
 * created; missing directories are then created 0700 and the whole path checked again. It also
 * refuses a `node_modules` or `package.json` in the root. Baton never changes the mode of a
 * directory it did not create.
 */
export async function prepareRuntimeRoot(root: string, plugin?: string): Promise<string> {
  const subject = { root, plugin };
  const before = await walkPathChain(root, subject);
  let created: string | undefined;
  if (before.stoppedAt !== undefined) {
    created = await fsCall({ doing: 'creating the runtime directory', path: root, plugin }, () =>
      mkdir(before.real, { recursive: true, mode: 0o700 }),
    );
  }
  const after = await walkPathChain(root, subject);
  if (after.stoppedAt !== undefined)
    throw fsError(Object.assign(new Error(`${after.stoppedAt} vanished`), { code: 'ENOENT' }), {
      doing: 'creating the runtime directory',
      path: root,
      plugin,
    });
  if (created !== undefined) {
    for (const path of createdChain(created, before.real)) await syncDirectory(dirname(path)); // the new entries are durable
  }
  await refuseResolutionEntries(after.real, plugin);
  return after.real;
}

/**
 * Creates (0700) or checks one directory inside the (checked) runtime root with the same rules: a
 * real directory of this user or root, not writable by its group or others, holding no
 * `node_modules` or `package.json`.
 */
export async function preparePrivateDirectory(path: string, plugin?: string): Promise<void> {
  try {
    await mkdir(path, { mode: 0o700 });
    await syncDirectory(dirname(path));
  } catch (error) {
    if (errnoOf(error) !== 'EEXIST') throw fsError(error, { doing: 'creating the directory', path, plugin });
  }
  const stats = await fsCall({ doing: 'checking', path, plugin }, () => lstat(path));
  if (stats.isSymbolicLink() || !stats.isDirectory())
    throw new ReloadError({
      code: 'UNSAFE_PATH',
      phase: 'load',
      ...(plugin === undefined ? {} : { plugin }),
      message: `refusing the runtime directory ${path}: it is not a directory; whoever put it there can redirect the plugin code Baton imports. Fix: remove it`,
      details: { path },
    });
  // The root above it passed, so only the entry itself is left to check.
  await walkPathChain(path, { root: path, plugin });
  await refuseResolutionEntries(path, plugin);
}

/** The directories `mkdir -p root` created, from `first` down to `root`. */
function createdChain(first: string, root: string): string[] {
  const parts = relative(first, root).split(sep).filter(Boolean);
  const out = [first];
  for (const part of parts) out.push(join(out.at(-1)!, part));
  return out;
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
        message: `refusing the runtime directory ${directory}: it holds ${name}, which would take part in resolving the imports of every plugin installed below it. Fix: remove it (the runtime directory holds only installed artifacts)`,
        details: { path },
      });
  }
}
