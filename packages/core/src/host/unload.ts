import { ReloadError } from '../errors/reloadError.js';
import { timeoutError, waitWithin } from '../util/deadline.js';
import type { HostCore } from './hostCore.js';

/** Options of an unload. */
export interface UnloadSlotOptions {
  readonly signal?: AbortSignal;
  readonly drainTimeoutMs?: number;
  /**
   * Host shutdown: skip the dependents check (dependents go first anyway) and leave the journal as it
   * is — the plugins are to be loaded again when the process restarts.
   */
  readonly force?: boolean;
}

/**
 * Unloads a plugin: refuses while other plugins depend on it or its managed resources are open;
 * pauses its gate, drains gated work, removes its surfaces atomically, waits for its in-flight calls
 * and disposes its scope.
 */
export async function unloadSlot(core: HostCore, name: string, options: UnloadSlotOptions): Promise<void> {
  const slot = core.slot(name, 'unload');
  if (slot.activity) {
    throw new ReloadError({
      code: 'RELOAD_IN_PROGRESS',
      phase: 'unload',
      plugin: name,
      message: `plugin '${name}' is being ${slot.activity === 'reload' ? 'reloaded' : 'unloaded'}; try again when that ends`,
    });
  }
  const dependents = options.force ? [] : core.dependentsOf(name);
  if (dependents.length > 0) {
    throw new ReloadError({
      code: 'DEPENDENTS_BLOCK',
      phase: 'unload',
      plugin: name,
      message: `plugin '${name}' cannot be unloaded: ${dependents.map((d) => `'${d}'`).join(', ')} depend on it; unload them first`,
      details: { dependents },
    });
  }
  const openResources = (): void => {
    if (slot.resources.size === 0) return;
    const names = [...slot.resources].map((cell) => `${cell.kind} '${cell.name}'`);
    throw new ReloadError({
      code: 'RESOURCES_OPEN',
      phase: 'unload',
      plugin: name,
      message: `plugin '${name}' still backs live resources (${names.join(', ')}); close them first`,
    });
  };
  openResources();
  slot.begin('unload');
  slot.gate.close();
  try {
    const timeoutMs = options.drainTimeoutMs ?? core.settings.drainTimeoutMs;
    await waitWithin(slot.gated.whenIdle(), timeoutMs, options.signal).catch((error: unknown) => {
      if (error instanceof DOMException && error.name === 'TimeoutError') {
        throw new ReloadError({
          code: 'DRAIN_TIMEOUT',
          phase: 'unload',
          plugin: name,
          message: `in-flight calls of '${name}' did not drain within ${timeoutMs} ms; it stays loaded`,
          cause: timeoutError(timeoutMs, 'drain'),
        });
      }
      throw new ReloadError({
        code: 'ABORTED',
        phase: 'unload',
        plugin: name,
        message: `the unload of '${name}' was aborted; it stays loaded`,
        cause: error,
      });
    });
    openResources();
    core.registry.publish(new Set([name]), []);
    core.apply({ type: 'slotRemoved', name });
  } catch (error) {
    slot.gate.open();
    slot.end();
    throw error;
  }
  slot.gate.open();
  const version = slot.current;
  // A stale entry only loads the plugin again after a restart; a shutdown keeps every entry.
  if (!options.force) await core.recordVersions({ [name]: undefined }, 'unload').catch(() => undefined);
  await version.retire();
  core.events.emit('unloaded', { plugin: name, version: version.version });
}
