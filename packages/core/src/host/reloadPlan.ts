import { ReloadError } from '../errors/reloadError.js';
import type { HostCore } from './hostCore.js';
import { dependencyOrder } from './dependencyPlan.js';
import { validatePlugin } from './pluginDefinition.js';
import type { PluginDefinition } from './pluginDefinition.js';
import type { PluginSlot } from './pluginSlot.js';
import { checkVersionOrder } from './versionOrder.js';
import type { VersionOrderOptions } from './versionOrder.js';

/** One plugin of a reload: its slot and the version replacing the current one. */
export interface PlanStep {
  readonly slot: PluginSlot;
  readonly definition: PluginDefinition;
}

/**
 * Validates a reload of `definitions` together and orders it (dependencies first). Throws before
 * anything changes: malformed definitions, plugins not loaded, a reload already running, a version
 * that is not newer (unless `order` allows it), dependents
 * left out of the set, missing dependencies, cycles. On success the slots are marked as reloading.
 */
export function planReload(
  core: HostCore,
  definitions: readonly unknown[],
  order: VersionOrderOptions = {},
): PlanStep[] {
  core.assertOpen('validate');
  if (!Array.isArray(definitions) || definitions.length === 0) {
    throw new ReloadError({
      code: 'INVALID_ARGUMENT',
      phase: 'validate',
      message: 'a reload needs at least one plugin definition',
    });
  }
  const byName = new Map<string, PluginDefinition>();
  for (const raw of definitions) {
    const definition = validatePlugin(raw);
    if (byName.has(definition.name)) {
      throw new ReloadError({
        code: 'INVALID_ARGUMENT',
        phase: 'validate',
        plugin: definition.name,
        message: `plugin '${definition.name}' appears twice in one reload`,
      });
    }
    byName.set(definition.name, definition);
  }
  const names = [...byName.keys()];
  for (const name of names) {
    const slot = core.slot(name, 'validate');
    if (slot.activity) {
      throw new ReloadError({
        code: 'RELOAD_IN_PROGRESS',
        phase: 'validate',
        plugin: name,
        message: `plugin '${name}' is already being ${slot.activity === 'reload' ? 'reloaded' : 'unloaded'}; one reload per plugin at a time`,
      });
    }
    checkVersionOrder(name, slot.current.version, byName.get(name)!.version, order);
    const outside = core.dependentsOf(name).filter((d) => !byName.has(d));
    if (outside.length > 0) {
      throw new ReloadError({
        code: 'DEPENDENTS_BLOCK',
        phase: 'validate',
        plugin: name,
        message: `plugin '${name}' cannot be reloaded alone: ${outside.map((d) => `'${d}'`).join(', ')} depend on it; reload them together with reloadMany() or unload them first`,
        details: { dependents: outside },
      });
    }
  }
  for (const definition of byName.values()) {
    for (const dep of definition.dependsOn ?? []) {
      if (!byName.has(dep) && !core.slots.has(dep)) {
        throw new ReloadError({
          code: 'DEPENDENCY_MISSING',
          phase: 'validate',
          plugin: definition.name,
          message: `plugin '${definition.name}' ${definition.version} depends on '${dep}', which is not loaded`,
        });
      }
    }
  }
  // The whole graph after the reload must stay acyclic, not only the reloaded part.
  const after = (name: string): readonly string[] =>
    byName.get(name)?.dependsOn ?? core.slots.get(name)?.current.dependsOn ?? [];
  dependencyOrder([...core.slots.keys()], after);
  const steps = dependencyOrder(names, after).map((name) => ({
    slot: core.slots.get(name)!,
    definition: byName.get(name)!,
  }));
  for (const step of steps) step.slot.begin('reload');
  return steps;
}
