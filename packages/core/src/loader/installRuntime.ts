import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDirectory } from '../durable/atomicFile.js';
import { ReloadError } from '../errors/reloadError.js';
import { ArgumentChecks } from './argumentChecks.js';
import { errnoOf, fsError } from './fsErrors.js';
import { inspectInstalledCopy, writeStaging } from './installedCopy.js';
import { sideName, sweepLeftovers } from './runtimeLeftovers.js';
import { preparePrivateDirectory, prepareRuntimeRoot } from './runtimeRoot.js';
import type { VerifiedPlugin } from './verifyDirectory.js';

/** A verified artifact copied into the runtime directory. */
export interface InstalledPlugin {
  readonly verified: VerifiedPlugin;
  /** The content-addressed directory its code is imported from (a real path). */
  readonly directory: string;
  /** Absolute path of the entry module. */
  readonly entryPath: string;
  /**
   * Set when this call found the installed copy damaged (rewritten, torn, extra or missing files,
   * links, another owner) and replaced it from the verified bytes: what was wrong.
   */
  readonly repaired?: string;
}

/** How many times an install is retried when other processes keep changing the copy under it. */
const MAX_ATTEMPTS = 5;

/**
 * Makes `<runtimeRoot>/<name>/<version>-<digest>` hold exactly the verified bytes of an artifact,
 * and returns it: a content-addressed directory readable only by this user (0700). Each distinct
 * artifact gets its own path, so `import()` loads it as a fresh module graph — Node's ESM cache is
 * keyed by URL and cannot be cleared — and the same artifact keeps its path.
 *
 * Nothing already on disk is trusted: the runtime root must belong to this user and not be
 * writable by others (`UNSAFE_PATH`), and an existing copy is compared byte for byte with the
 * verified files. A copy that differs is replaced atomically: the verified bytes are written to a
 * staging directory (every file and directory fsynced), the damaged copy is moved aside, the
 * staging directory is renamed into place and the damaged one removed. Processes racing to install
 * or repair the same copy converge on one intact copy. File-system failures are `IO_FAILED`.
 */
export async function installPlugin(verified: VerifiedPlugin, runtimeRoot: string): Promise<InstalledPlugin> {
  const check = new ArgumentChecks('installPlugin', 'load');
  check.verifiedPlugin('verified', verified);
  check.string('runtimeRoot', runtimeRoot);
  const { manifest } = verified;
  const plugin = manifest.name;
  const root = await prepareRuntimeRoot(runtimeRoot, plugin);
  const parent = join(root, folderName(manifest.name));
  await preparePrivateDirectory(parent, plugin);
  await sweepLeftovers(parent);
  const safeVersion = manifest.version.replace(/[^A-Za-z0-9._-]/g, '_');
  const directory = join(parent, `${safeVersion}-${verified.digest.slice(0, 16)}`);
  const entryPath = join(directory, ...manifest.entry.split('/'));
  let repaired: string | undefined;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const found = await inspectInstalledCopy(directory, verified);
    if (found.state === 'intact') return { verified, directory, entryPath, ...(repaired ? { repaired } : {}) };
    if (found.state === 'damaged') repaired ??= found.reason;
    const staging = await writeStaging(directory, verified);
    try {
      const aside = found.state === 'damaged' ? await moveAside(directory, plugin) : undefined;
      const placed = await renameInto(staging, directory, plugin);
      if (aside !== undefined) await rm(aside, { recursive: true, force: true }).catch(() => undefined);
      if (placed) {
        await syncDirectory(parent);
        return { verified, directory, entryPath, ...(repaired ? { repaired } : {}) };
      }
      // Another process put a copy in place first: check that one on the next attempt.
    } finally {
      await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    }
  }
  throw new ReloadError({
    code: 'IO_FAILED',
    phase: 'load',
    plugin,
    message: `could not install ${manifest.name} ${manifest.version} into ${directory}: its copy kept changing during ${MAX_ATTEMPTS} attempts (another process rewriting it?)`,
  });
}

/** Renames a damaged copy out of the way; `undefined` when another process already moved it. */
async function moveAside(directory: string, plugin: string): Promise<string | undefined> {
  const aside = sideName(directory, 'damaged');
  try {
    await rename(directory, aside);
    return aside;
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return undefined;
    throw fsError(error, { doing: `moving the damaged copy aside to ${aside} from`, path: directory, plugin });
  }
}

/** Renames the staging directory into place; false when another copy got there first. */
async function renameInto(staging: string, directory: string, plugin: string): Promise<boolean> {
  try {
    await rename(staging, directory);
    return true;
  } catch (error) {
    const code = errnoOf(error);
    if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOTDIR' || code === 'EISDIR') return false;
    throw fsError(error, { doing: `renaming ${staging} into place at`, path: directory, plugin });
  }
}

/**
 * The folder of a plugin in the runtime root: its name with unsafe characters replaced, and never
 * a name Node's module resolution gives a meaning to (the root refuses those).
 */
function folderName(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9._-]/g, '_');
  return /^(node_modules|package\.json)$/i.test(safe) ? `_${safe}` : safe;
}
