import { pathToFileURL } from 'node:url';
import { ReloadError } from '../errors/reloadError.js';
import { errnoOf } from './fsErrors.js';
import { installPlugin } from './installRuntime.js';
import type { InstalledPlugin } from './installRuntime.js';
import type { VerifiedPlugin } from './verifyDirectory.js';

/** An installed copy and the module imported from it. */
export interface ImportedPlugin {
  readonly installed: InstalledPlugin;
  readonly module: Record<string, unknown>;
}

/** Attempts at importing when a module of the copy vanished under the import. */
const MAX_ATTEMPTS = 3;

/**
 * Installs (or re-checks and repairs) the verified artifact under `runtimeRoot`, then imports its
 * entry module from that copy. If a module of the copy is missing while it is imported — another
 * process moved a copy aside to repair it between our check and our import — the copy is checked
 * again and the import retried (the entry URL gets a `?baton-attempt=N` query, since Node caches a
 * failed module graph by URL). Any other import failure is `INVALID_PLUGIN`.
 */
export async function importInstalled(verified: VerifiedPlugin, runtimeRoot: string): Promise<ImportedPlugin> {
  const { manifest } = verified;
  for (let attempt = 1; ; attempt++) {
    const installed = await installPlugin(verified, runtimeRoot);
    const url = pathToFileURL(installed.entryPath).href + (attempt === 1 ? '' : `?baton-attempt=${attempt}`);
    try {
      return { installed, module: (await import(url)) as Record<string, unknown> };
    } catch (error) {
      if (attempt < MAX_ATTEMPTS && vanishedFrom(error, installed.directory)) continue;
      throw new ReloadError({
        code: 'INVALID_PLUGIN',
        phase: 'load',
        plugin: manifest.name,
        message: `importing ${manifest.name} ${manifest.version} from ${installed.entryPath} failed: ${error instanceof Error ? error.message : String(error)}`,
        cause: error,
      });
    }
  }
}

/** Whether `error` says a module inside `directory` was not found. */
function vanishedFrom(error: unknown, directory: string): boolean {
  const code = errnoOf(error);
  return (
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'ENOENT') &&
    error instanceof Error &&
    error.message.includes(directory)
  );
}
