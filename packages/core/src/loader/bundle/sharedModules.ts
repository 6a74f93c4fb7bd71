/**
 * The modules a bundle gets from its host instead of carrying its own copy: `@baton/core` (and its
 * `/loader`, `/durable` and `/kit` entry points, from the very copy that loads the bundle), what the
 * host passes as `shared`, and Node's built-in modules. Everything else a plugin imports is inside
 * its bundle, and is collected with it.
 */
import { createRequire, isBuiltin } from 'node:module';
import { ReloadError } from '../../errors/reloadError.js';

/** A module as a bundle's `require` returns it. */
export type SharedModules = ReadonlyMap<string, unknown>;

const builtins = createRequire(import.meta.url);

/** `@baton/core`'s own entry points, imported on first use (the loader does not load the engine eagerly). */
async function coreModules(): Promise<[string, unknown][]> {
  const [core, loader, durable, kit] = await Promise.all([
    import('../../index.js'),
    import('../../loader.js'),
    import('../../durable.js'),
    import('../../kit.js'),
  ]);
  return [
    ['@baton/core', core],
    ['@baton/core/loader', loader],
    ['@baton/core/durable', durable],
    ['@baton/core/kit', kit],
  ];
}

/**
 * A module namespace as a CommonJS bundle expects an ES module: its exports, marked `__esModule`
 * so that the bundle's default imports read `default` (esbuild's and TypeScript's interop).
 */
function asInterop(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || (value as { __esModule?: unknown }).__esModule === true)
    return value;
  if (Object.prototype.toString.call(value) !== '[object Module]') return value;
  return Object.freeze(Object.assign(Object.create(null) as object, value, { __esModule: true }));
}

/** The shared modules of a load: Baton's own, then the host's `shared` (which may override none of them). */
export async function sharedModules(shared: Readonly<Record<string, unknown>> | undefined): Promise<SharedModules> {
  const modules = new Map<string, unknown>();
  for (const [specifier, value] of await coreModules()) modules.set(specifier, asInterop(value));
  for (const [specifier, value] of Object.entries(shared ?? {})) {
    if (modules.has(specifier))
      throw new ReloadError({
        code: 'INVALID_ARGUMENT',
        phase: 'load',
        message: `options.shared['${specifier}']: Baton supplies ${specifier} itself (the copy that loads the bundle)`,
      });
    modules.set(specifier, asInterop(value));
  }
  return modules;
}

/** The errors {@link bundleRequire} threw: the host's own, so their code stands (a plugin's would not). */
const refusals = new WeakSet<object>();

/** Whether `error` is a refusal of {@link bundleRequire}'s. */
export function isRequireRefusal(error: unknown): boolean {
  return typeof error === 'object' && error !== null && refusals.has(error);
}

/** The `require` a bundle of plugin `plugin` is evaluated with. */
export function bundleRequire(modules: SharedModules, plugin: string): (specifier: string) => unknown {
  return (specifier: string): unknown => {
    if (modules.has(specifier)) return modules.get(specifier);
    if (typeof specifier === 'string' && isBuiltin(specifier)) return builtins(specifier);
    const refusal = new ReloadError({
      code: 'INVALID_PLUGIN',
      phase: 'load',
      plugin,
      message:
        `the bundle of '${plugin}' requires '${String(specifier)}', which it does not contain and the host does not ` +
        `share: bundle it in (baton sign --bundle bundles every import but the shared ones), or pass it in ` +
        `options.shared`,
    });
    refusals.add(refusal);
    throw refusal;
  };
}
