import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat, writeFile, chmod } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { syncDirectory } from '../durable/atomicFile.js';
import type { VerifiedPlugin } from './verifyDirectory.js';

/** A verified artifact copied into the runtime directory. */
export interface InstalledPlugin {
  readonly verified: VerifiedPlugin;
  /** The content-addressed directory its code is imported from. */
  readonly directory: string;
  /** Absolute path of the entry module. */
  readonly entryPath: string;
}

/**
 * Copies the verified bytes of an artifact into `<runtimeRoot>/<name>/<version>-<digest>`, a
 * content-addressed directory readable only by this user (0700). Each distinct artifact gets its
 * own path, so `import()` loads it as a fresh module graph — Node's ESM cache is keyed by URL and
 * cannot be cleared. Installing the same artifact twice reuses its directory. The copy is made in
 * a temporary directory and renamed into place, so a crash leaves no half-installed version.
 */
export async function installPlugin(verified: VerifiedPlugin, runtimeRoot: string): Promise<InstalledPlugin> {
  const { manifest } = verified;
  const safeVersion = manifest.version.replace(/[^A-Za-z0-9._-]/g, '_');
  const parent = join(runtimeRoot, manifest.name.replace(/[^A-Za-z0-9._-]/g, '_'));
  const directory = join(parent, `${safeVersion}-${verified.digest.slice(0, 16)}`);
  const entryPath = join(directory, ...manifest.entry.split('/'));
  await mkdir(parent, { recursive: true, mode: 0o700 });
  await chmod(runtimeRoot, 0o700);
  await chmod(parent, 0o700);
  if (await exists(directory)) return { verified, directory, entryPath };
  const staging = `${directory}.${randomBytes(4).toString('hex')}.partial`;
  await mkdir(staging, { mode: 0o700 });
  try {
    for (const [path, bytes] of verified.files) {
      const target = join(staging, ...path.split('/'));
      await mkdir(dirname(target), { recursive: true, mode: 0o700 });
      await writeFile(target, bytes, { mode: 0o600 });
    }
    await rename(staging, directory);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    if (await exists(directory)) return { verified, directory, entryPath }; // another install won the race
    throw error;
  }
  await syncDirectory(parent);
  return { verified, directory, entryPath };
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
