/**
 * A verified bundled artifact made into a module: the bundle evaluated (see `evaluateBundle`) with
 * the shared modules and a fresh `PluginRuntime`, and its source map, when the artifact ships one
 * as `<entry>.map`, registered for its stack traces.
 */
import { dirname, join } from 'node:path';
import type { VerifiedPlugin } from '../verifyDirectory.js';
import { evaluateBundle } from './evaluateBundle.js';
import { PluginRuntime } from './pluginRuntime.js';
import { bundleRequire, sharedModules } from './sharedModules.js';
import { registerBundleMap } from './stackMapping.js';

/** A bundle's exports, the runtime its code was given, and how to tie its source map to an owner. */
export interface BundledVersion {
  readonly module: Record<string, unknown>;
  readonly runtime: PluginRuntime;
  /** Registers the bundle's source map for as long as `owner` (the loaded definition) lives. */
  readonly mapStacks: (owner: object) => void;
}

/** Evaluates the verified bundle of `verified` (its manifest's `loader` is `'bundle'`). */
export async function bundledVersion(
  verified: VerifiedPlugin,
  shared: Readonly<Record<string, unknown>> | undefined,
): Promise<BundledVersion> {
  const { manifest } = verified;
  const modules = await sharedModules(shared);
  const runtime = new PluginRuntime();
  const path = join(verified.directory, ...manifest.entry.split('/'));
  // The digest tells two versions verified at the same path apart (their maps differ).
  const filename = `${path}?digest=${verified.digest.slice(0, 12)}`;
  const exports = evaluateBundle({
    plugin: manifest.name,
    bytes: verified.files.get(manifest.entry)!,
    filename,
    require: bundleRequire(modules, manifest.name),
    runtime,
  });
  const module =
    typeof exports === 'object' && exports !== null ? (exports as Record<string, unknown>) : { default: exports };
  const map = verified.files.get(`${manifest.entry}.map`);
  return {
    module,
    runtime,
    mapStacks: (owner) => {
      if (map !== undefined) registerBundleMap(filename, map, dirname(path), owner);
    },
  };
}
