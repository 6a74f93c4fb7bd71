import { validatePlugin } from '@baton/core';
import type { CrdtKindProvider, PluginDefinition, Registrar } from '@baton/core';
import { collectRegistrations } from '@baton/core/loader';
import type { CollectRegistrationsOptions } from '@baton/core/loader';
import { FLEET_FORMATS } from './fleetFormats.js';
import type { FleetFormats } from './fleetFormats.js';

/** How a plugin's `register()` is run outside a host to see what it registers. */
export interface RegisterEnvironment {
  /** Parent container of the host services the plugins resolve (see `collectRegistrations`). */
  readonly container?: CollectRegistrationsOptions['container'];
  /** More host services, token → value (as `PluginHost`'s `services` option). */
  readonly services?: Readonly<Record<string, unknown>>;
  /** Milliseconds each `register()` may take (default 10 000). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * Runs `plugin.register()` outside any host with `formats` as the host service
 * {@link FLEET_FORMATS} (and `environment`'s services), and returns the CRDT kinds it registers,
 * by key. Its errors are `collectRegistrations`' (`REGISTRATION_FAILED`, `INVALID_PLUGIN`, …).
 */
export async function pluginCrdtKinds(
  plugin: PluginDefinition,
  formats: FleetFormats,
  environment: RegisterEnvironment,
): Promise<Map<string, CrdtKindProvider>> {
  const definition = validatePlugin(plugin); // INVALID_PLUGIN before anything runs
  const services = { ...environment.services, [FLEET_FORMATS]: formats };
  // The services go into the version's own scope, before the plugin's register() runs.
  const withServices: PluginDefinition = {
    name: definition.name,
    version: definition.version,
    ...(definition.dependsOn === undefined ? {} : { dependsOn: definition.dependsOn }),
    register(registrar: Registrar) {
      for (const [token, value] of Object.entries(services)) registrar.scope.register(token, { useValue: value });
      return definition.register(registrar);
    },
  };
  const set = await collectRegistrations(withServices, [], {
    ...(environment.container === undefined ? {} : { container: environment.container }),
    ...(environment.timeoutMs === undefined ? {} : { timeoutMs: environment.timeoutMs }),
    ...(environment.signal === undefined ? {} : { signal: environment.signal }),
  });
  const kinds = new Map<string, CrdtKindProvider>();
  for (const { kind, key, provider } of set) if (kind === 'crdtKind') kinds.set(key, provider as CrdtKindProvider);
  return kinds;
}
