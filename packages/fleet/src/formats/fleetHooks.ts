import type { PluginDefinition } from '@baton/core';
import type { Queryable } from '../store/queryable.js';
import type { ArtifactRef } from '../store/rows.js';
import type { FleetFormatCheckOptions } from './checkFleetFormats.js';
import type { FleetFormats } from './fleetFormats.js';
import { invalidFormatArgument } from './formatPhase.js';
import type { FormatSchemaOptions } from './formatPhase.js';
import { switchFormatPhase } from './formatPhaseStore.js';
import { formatPreflight } from './formatPreflight.js';

/** What the coordinator's `preflight` hook is given (the fields {@link formatsPreflight} reads). */
export interface FormatPreflightContext {
  readonly client: Queryable;
  readonly schema?: string;
  readonly plugin: string;
  /** `reload`: step one (a new version, pinned); `format`: step two (the switch). */
  readonly action: string;
  readonly from: ArtifactRef;
  readonly to: ArtifactRef;
  /** The plugin's live members and the version each serves (null: none loaded). */
  readonly members: readonly { readonly id: string; readonly version: string | null }[];
  readonly signal: AbortSignal;
}

/** Options of {@link formatsPreflight}: how to load the artifacts, and the checks' options. */
export interface FormatsPreflightOptions extends Omit<
  FleetFormatCheckOptions,
  'oldPlugin' | 'newPlugin' | 'formats' | 'signal'
> {
  /** Loads the plugin version an artifact names (e.g. `loadPluginVersion` of a verified directory). */
  readonly loadPlugin: (artifact: ArtifactRef) => Promise<PluginDefinition>;
}

/**
 * The coordinator's `preflight` hook for the two-step format upgrade. For a `reload` rollout it
 * loads both artifacts and runs {@link formatPreflight} (the fleet's compat pre-checks; phase
 * `mixed` recorded, or `SCHEMA_INCOMPATIBLE`) before the first process moves. For a `format`
 * rollout (the second step, every member already on `to`) it switches the phase
 * ({@link switchFormatPhase}: refused unless every live member serves `to.version`); the
 * rollout's `format` commands then reload each member with the new formats. Other actions pass.
 *
 * ```ts
 * await coordinator.rollout({ ..., preflight: formatsPreflight({ loadPlugin }) });
 * ```
 */
export function formatsPreflight(options: FormatsPreflightOptions): (context: FormatPreflightContext) => Promise<void> {
  if (typeof (options as Partial<FormatsPreflightOptions> | null | undefined)?.loadPlugin !== 'function')
    throw invalidFormatArgument('formatsPreflight needs { loadPlugin(artifact) }');
  return async (context) => {
    const where: FormatSchemaOptions = context.schema === undefined ? {} : { schema: context.schema };
    if (context.action === 'format') {
      await switchFormatPhase(context.client, {
        ...where,
        plugin: context.plugin,
        version: context.to.version,
        members: context.members.map((member) => ({ id: member.id, version: member.version ?? '(none loaded)' })),
      });
      return;
    }
    if (context.action !== 'reload') return;
    const oldPlugin = await options.loadPlugin(context.from);
    const newPlugin = await options.loadPlugin(context.to);
    for (const definition of [oldPlugin, newPlugin])
      if (definition.name !== context.plugin)
        throw invalidFormatArgument(
          `formatsPreflight: the artifact of ${definition.version} is plugin '${definition.name}', not '${context.plugin}'`,
          context.plugin,
        );
    await formatPreflight({
      ...options,
      ...where,
      client: context.client,
      oldPlugin,
      newPlugin,
      signal: context.signal,
    });
  };
}

/**
 * Wraps an agent's artifact loader so that the host service `formats` is refreshed from
 * `format_phases` right before each artifact is loaded — that is, before every reload, rollback
 * and format command the agent runs: the new version's `register()` then sees the phase the
 * coordinator recorded before it issued the command. A failed refresh fails the load (and so the
 * command; the serving version is untouched).
 *
 * ```ts
 * new FleetAgent({ ..., loadArtifact: withFormatRefresh(loadArtifact, { formats, client }) });
 * ```
 */
export function withFormatRefresh<Args extends unknown[], Loaded>(
  load: (...args: Args) => Promise<Loaded>,
  options: FormatSchemaOptions & { readonly formats: FleetFormats; readonly client: Queryable },
): (...args: Args) => Promise<Loaded> {
  if (typeof load !== 'function' || typeof options.formats.refresh !== 'function')
    throw invalidFormatArgument('withFormatRefresh needs a loader and { formats: FleetFormats, client }');
  const where: FormatSchemaOptions = options.schema === undefined ? {} : { schema: options.schema };
  return async (...args) => {
    await options.formats.refresh(options.client, where);
    return load(...args);
  };
}
