import { ReloadError } from '../errors/reloadError.js';
import type { HostCore } from './hostCore.js';
import { validatePlugin } from './pluginDefinition.js';
import { PluginSlot } from './pluginSlot.js';
import type { PluginInfo } from './scope.js';
import { conflictError } from './surfaceRegistry.js';

/** Options of a load. */
export interface LoadSlotOptions {
  readonly signal?: AbortSignal;
  readonly registerTimeoutMs?: number;
}

/**
 * Loads a plugin that is not loaded: validates it, checks its dependencies are loaded, stages its
 * registrations and publishes them atomically. A failure publishes nothing and disposes the scope.
 */
export async function loadSlot(core: HostCore, raw: unknown, options: LoadSlotOptions): Promise<PluginInfo> {
  core.assertOpen('load');
  const started = performance.now();
  const definition = validatePlugin(raw);
  const { name } = definition;
  if (core.slots.has(name) || core.loading.has(name)) {
    throw new ReloadError({
      code: 'ALREADY_LOADED',
      phase: 'load',
      plugin: name,
      message: `plugin '${name}' is already loaded${core.loading.has(name) ? ' (or loading)' : ''}; use reload to replace it`,
    });
  }
  for (const dep of definition.dependsOn ?? []) {
    if (!core.slots.has(dep)) {
      throw new ReloadError({
        code: 'DEPENDENCY_MISSING',
        phase: 'load',
        plugin: name,
        message: `plugin '${name}' ${definition.version} depends on '${dep}', which is not loaded; load '${dep}' first`,
      });
    }
  }
  core.apply({ type: 'loadStarted', name });
  try {
    const version = await core.stage(
      definition,
      options.signal,
      options.registerTimeoutMs ?? core.settings.registerTimeoutMs,
    );
    try {
      core.assertOpen('load');
      const taken = core.registry.conflicts(version.registrations, new Set())[0];
      if (taken) throw conflictError(version, taken.kind, taken.key, taken).with({ phase: 'load' });
      await core.recordVersions({ [name]: version.version }, 'load');
      core.assertOpen('load');
      const slot = new PluginSlot(version, core.settings.queueLimit, (plugin, waitedMs) => {
        if (core.events.has('queueWait')) core.events.emit('queueWait', { plugin, waitedMs });
      });
      core.registry.publish(new Set(), [{ version, slot }]);
      version.transition('active');
      core.apply({ type: 'slotAdded', slot });
    } catch (error) {
      await version.discard();
      throw error;
    }
    core.events.emit('loaded', {
      plugin: name,
      version: version.version,
      epoch: version.info.epoch,
      ms: performance.now() - started,
    });
    return version.info;
  } finally {
    core.apply({ type: 'loadEnded', name });
  }
}
