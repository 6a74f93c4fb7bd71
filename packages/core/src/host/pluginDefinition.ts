import { shapeProblems } from '../disciplines/shape.js';
import { PLUGIN_RUNTIME, runtimeOf } from '../loader/bundle/pluginRuntime.js';
import { ReloadError } from '../errors/reloadError.js';
import type { MaybePromise } from '../util/maybePromise.js';
import type { Registrar } from './registrar.js';
import { semverProblem } from './versionOrder.js';

/** A plugin version: what it is called, what it needs, and how it registers its surfaces. */
export interface PluginDefinition {
  /** Stable name; a reload replaces the loaded plugin of the same name. */
  readonly name: string;
  /**
   * This version: a semantic version (`1.4.0`, `2.0.0-rc.1`). A reload must go to a newer one unless
   * it passes `allowDowngrade` or `allowSameVersion`.
   */
  readonly version: string;
  /** Names of plugins that must be loaded first; they cannot be reloaded alone while this one is loaded. */
  readonly dependsOn?: readonly string[];
  /**
   * Registers the version's surfaces. Runs while the previous version still serves; what it
   * registers stays invisible until commit. A throw or rejection fails the load or reload cleanly.
   */
  register(registrar: Registrar): MaybePromise<void>;
}

const NAME = /^[A-Za-z0-9@][A-Za-z0-9@._/-]{0,127}$/;

/**
 * Checks an untrusted plugin definition (a module loaded from disk may export anything) and
 * returns a frozen copy. Throws `INVALID_PLUGIN` naming every problem.
 */
export function validatePlugin(value: unknown): PluginDefinition {
  const problems = shapeProblems(value, { strings: ['name', 'version'], methods: ['register'] });
  const candidate = value as Partial<PluginDefinition> | null;
  if (problems.length === 0) {
    if (!NAME.test(candidate!.name!))
      problems.push(`'name' ${JSON.stringify(candidate!.name)} must match ${String(NAME)}`);
    if (candidate!.version!.length > 128) problems.push("'version' must be at most 128 characters");
    else {
      const problem = semverProblem(candidate!.version!);
      if (problem !== undefined) problems.push(problem);
    }
    const deps: unknown = candidate!.dependsOn;
    if (deps !== undefined && (!Array.isArray(deps) || deps.some((d) => typeof d !== 'string' || !NAME.test(d)))) {
      problems.push("'dependsOn' must be an array of plugin names");
    } else if (Array.isArray(deps) && (deps.includes(candidate!.name) || new Set(deps).size !== deps.length)) {
      problems.push("'dependsOn' must not list the plugin itself or a name twice");
    }
  }
  if (problems.length > 0) {
    const name = typeof candidate?.name === 'string' ? candidate.name : undefined;
    throw new ReloadError({
      code: 'INVALID_PLUGIN',
      phase: 'validate',
      ...(name === undefined ? {} : { plugin: name }),
      message: `invalid plugin definition${name === undefined ? '' : ` '${name}'`}: ${problems.join('; ')}`,
    });
  }
  const definition = candidate as PluginDefinition;
  const { name, version, dependsOn } = definition;
  const runtime = runtimeOf(definition); // a bundled version's timers and listeners (see loadPluginVersion)
  return Object.freeze({
    name,
    version,
    dependsOn: Object.freeze([...(dependsOn ?? [])]),
    register: (registrar: Registrar) => definition.register(registrar),
    ...(runtime === undefined ? {} : { [PLUGIN_RUNTIME]: runtime }),
  });
}

/**
 * Declares a plugin version. Validates it at once (throws `INVALID_PLUGIN`), so a mistake shows
 * where the plugin is written rather than when a host loads it.
 *
 * ```ts
 * export default definePlugin({
 *   name: 'geo', version: '2.0.0',
 *   register(r) { r.scalarFunction(distance); r.indexKind(flatIndex); },
 * });
 * ```
 */
export function definePlugin<const T extends PluginDefinition>(definition: T): T {
  validatePlugin(definition);
  return definition;
}
