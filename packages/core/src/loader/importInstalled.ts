import { join, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ReloadError } from '../errors/reloadError.js';
import { errnoOf } from './fsErrors.js';
import { writeStaging } from './installedCopy.js';
import { installPlugin } from './installRuntime.js';
import type { InstalledPlugin } from './installRuntime.js';
import type { VerifiedPlugin } from './verifyDirectory.js';

/** An installed copy and the module imported from it. */
export interface ImportedPlugin {
  readonly installed: InstalledPlugin;
  readonly module: Record<string, unknown>;
}

/** Test seam: runs between the check of the shared copy and its import (a real interleaving point). */
export interface ImportHooks {
  readonly beforeImport?: (installed: InstalledPlugin) => Promise<void>;
}

/**
 * Installs (or re-checks and repairs) the verified artifact under `runtimeRoot`, then imports its
 * entry module from that copy.
 *
 * Another process may replace the shared copy between our check and our import (it found the copy
 * damaged a moment earlier and moves it aside to repair it): a module of the copy is then missing
 * while we import. Node keeps a failed module graph by URL, so importing the same paths again would
 * fail again; instead the verified bytes are written to a copy private to this process (a new path
 * beside the shared one, removed by a later install once this process has ended) and imported from
 * there. Any other import failure is `INVALID_PLUGIN`.
 */
export async function importInstalled(
  verified: VerifiedPlugin,
  runtimeRoot: string,
  hooks: ImportHooks = {},
): Promise<ImportedPlugin> {
  const installed = await installPlugin(verified, runtimeRoot);
  await hooks.beforeImport?.(installed);
  try {
    return { installed, module: await importEntry(installed.entryPath) };
  } catch (error) {
    if (!vanishedFrom(error, installed.directory)) throw importFailed(verified, installed.entryPath, error);
  }
  const directory = await writeStaging(installed.directory, verified, 'private');
  const entryPath = join(directory, ...verified.manifest.entry.split('/'));
  try {
    return { installed: { ...installed, directory, entryPath }, module: await importEntry(entryPath) };
  } catch (error) {
    throw importFailed(verified, entryPath, error);
  }
}

async function importEntry(entryPath: string): Promise<Record<string, unknown>> {
  return (await import(pathToFileURL(entryPath).href)) as Record<string, unknown>;
}

function importFailed(verified: VerifiedPlugin, entryPath: string, error: unknown): ReloadError {
  const { name, version } = verified.manifest;
  return new ReloadError({
    code: 'INVALID_PLUGIN',
    phase: 'load',
    plugin: name,
    message: `importing ${name} ${version} from ${entryPath} failed: ${error instanceof Error ? error.message : String(error)}${packageHint(error)}`,
    cause: error,
  });
}

/**
 * What to do when the plugin imports a package Node cannot find from the runtime directory: the
 * usual cause is a runtime directory outside the host's project, where `node_modules` is not found.
 */
function packageHint(error: unknown): string {
  const missing = error instanceof Error && /Cannot find package '([^']+)'/.exec(error.message)?.[1];
  if (!missing || errnoOf(error) !== 'ERR_MODULE_NOT_FOUND') return '';
  return (
    ` (the plugin imports '${missing}', which Node resolves from the runtime directory upwards: put ` +
    `runtimeDirectory inside the project that has ${missing} installed, e.g. <project>/.baton/runtime, or ` +
    `ship the plugin as a bundled artifact with ${missing} shared or bundled in)`
  );
}

/** Whether `error` says a module file inside `directory` was not there. */
function vanishedFrom(error: unknown, directory: string): boolean {
  const code = errnoOf(error);
  return (
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'ENOENT') &&
    error instanceof Error &&
    error.message.includes(directory + sep)
  );
}
