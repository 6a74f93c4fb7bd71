import { DisciplineSet } from '../disciplines/disciplineSet.js';
import { ReloadError, isReloadError } from '../errors/reloadError.js';
import { validatePlugin } from '../host/pluginDefinition.js';
import type { PluginDefinition } from '../host/pluginDefinition.js';
import type { Registrar } from '../host/registrar.js';
import { ArgumentChecks } from './argumentChecks.js';
import { bundledVersion } from './bundle/bundledVersion.js';
import { PLUGIN_RUNTIME } from './bundle/pluginRuntime.js';
import { importInstalled } from './importInstalled.js';
import type { InstalledPlugin } from './installRuntime.js';
import type { PluginManifest } from './manifest.js';
import type { TrustedKey } from './signing.js';
import { verifyPluginDirectory } from './verifyDirectory.js';
import type { VerifiedPlugin } from './verifyDirectory.js';

/** Options of {@link loadPluginVersion}. */
export interface LoadPluginVersionOptions {
  /** Keys whose signatures are accepted. */
  readonly trustedKeys: readonly TrustedKey[];
  /**
   * For an ES module artifact (no `loader` in its manifest), where verified artifacts are copied
   * and imported from (created 0700 if missing); a bundled artifact needs none. Put it where
   * Node's module resolution finds the host's shared packages (e.g. `<project>/.baton/runtime`), so a
   * plugin shares `@baton/core` and `apache-arrow` with its host. Every directory on its path, and
   * every symbolic link followed, must belong to root or this user, and no directory on it may be
   * writable by its group or others (so not under `/tmp`); it may hold no `node_modules` or
   * `package.json` (else `UNSAFE_PATH`). A copy found in it is re-checked byte for byte before every
   * import and replaced if it differs.
   */
  readonly runtimeDirectory?: string;
  /**
   * For a bundled artifact: the modules its bundle gets from the host (specifier → the module, e.g.
   * `{ '@baton/kinds': await import('@baton/kinds') }`), besides `@baton/core` (the copy that loads
   * it) and Node's built-ins. A bundle requiring anything else fails to load with `INVALID_PLUGIN`.
   */
  readonly shared?: Readonly<Record<string, unknown>>;
}

/** A verified, installed and imported plugin version, ready for `host.load` or `host.reload`. */
export interface LoadedPluginVersion {
  readonly definition: PluginDefinition;
  readonly manifest: PluginManifest;
  /** Where an ES module artifact was installed; absent for a bundle (evaluated from memory). */
  readonly installed?: InstalledPlugin;
  /** The key that signed the artifact. */
  readonly keyId: string;
}

/**
 * Loads one plugin version from an artifact directory: verifies its signature and every file's hash
 * (before any of its code runs), then makes its code a module, and checks that its default export
 * (or `plugin` export) is a plugin definition matching the manifest. The returned definition also
 * checks, when it registers, that it registers exactly the surfaces its manifest declares.
 *
 * - An ES module artifact: the verified bytes are copied into a content-addressed runtime directory
 *   and the entry is imported from there. Node keeps every imported module for the life of the
 *   process.
 * - A bundled artifact (`loader: 'bundle'`, see `bundlePluginDirectory`): the verified bundle bytes
 *   are evaluated outside the ES module map; once the version is retired and unreachable its code
 *   is garbage collected. Its timers and `process` listeners still held at retire are cleared and
 *   reported in `RetireReport.leftovers`; its stack traces are mapped through its source map.
 *
 * A tampered or unsigned artifact is refused with `VERIFICATION_FAILED`; nothing is imported.
 */
export async function loadPluginVersion(
  directory: string,
  options: LoadPluginVersionOptions,
): Promise<LoadedPluginVersion> {
  const check = new ArgumentChecks('loadPluginVersion', 'load');
  check.string('directory', directory);
  const o = check.object('options', options);
  check.trustedKeys('options.trustedKeys', o['trustedKeys']);
  if (o['runtimeDirectory'] !== undefined) check.string('options.runtimeDirectory', o['runtimeDirectory']);
  if (o['shared'] !== undefined) check.object('options.shared', o['shared']);
  const verified = await verifyPluginDirectory(directory, { trustedKeys: options.trustedKeys });
  return importVerifiedPlugin(verified, options.runtimeDirectory, options.shared);
}

/**
 * Makes an already verified artifact a plugin version, as {@link loadPluginVersion} does after
 * verifying: an ES module artifact is installed under `runtimeDirectory` (re-checking or repairing
 * the copy there) and imported from that copy; a bundle is evaluated with `shared`. For tooling
 * that verified the artifact itself (`baton inspect`).
 */
export async function importVerifiedPlugin(
  verified: VerifiedPlugin,
  runtimeDirectory: string | undefined,
  shared?: Readonly<Record<string, unknown>>,
): Promise<LoadedPluginVersion> {
  const check = new ArgumentChecks('importVerifiedPlugin', 'load');
  check.verifiedPlugin('verified', verified);
  const { manifest } = verified;
  if (manifest.loader === 'bundle') {
    const bundled = await bundledVersion(verified, shared);
    const loaded = checked(verified, bundled.module);
    const definition = Object.freeze({ ...loaded.definition, [PLUGIN_RUNTIME]: bundled.runtime });
    bundled.mapStacks(definition);
    return { ...loaded, definition };
  }
  if (runtimeDirectory === undefined)
    throw check.invalid(
      'runtimeDirectory',
      `a directory to install '${manifest.name}' in (an ES module artifact; only a bundled one needs none)`,
      runtimeDirectory,
    );
  check.string('runtimeDirectory', runtimeDirectory);
  const { installed, module } = await importInstalled(verified, runtimeDirectory);
  return { ...checked(verified, module), installed };
}

/** The plugin definition `module` exports, checked against the manifest of `verified`. */
function checked(verified: VerifiedPlugin, module: Record<string, unknown>): LoadedPluginVersion {
  const { manifest } = verified;
  let definition: PluginDefinition;
  try {
    definition = validatePlugin(module['default'] ?? module['plugin']);
  } catch (error) {
    throw isReloadError(error) ? error.with({ plugin: manifest.name, phase: 'load' }) : error;
  }
  const mismatch = [
    definition.name !== manifest.name && `name '${definition.name}' ≠ manifest '${manifest.name}'`,
    definition.version !== manifest.version && `version '${definition.version}' ≠ manifest '${manifest.version}'`,
    [...(definition.dependsOn ?? [])].sort().join() !== [...manifest.dependsOn].sort().join() &&
      'dependsOn differs from the manifest',
  ].filter(Boolean);
  if (mismatch.length > 0)
    throw new ReloadError({
      code: 'VERIFICATION_FAILED',
      phase: 'verify',
      plugin: manifest.name,
      message: `the plugin module does not match its manifest: ${mismatch.join('; ')}`,
    });
  return { definition: checkingSurfaces(definition, manifest), manifest, keyId: verified.keyId };
}

/** Wraps `register` to fail registration when the surfaces differ from the manifest's. */
function checkingSurfaces(definition: PluginDefinition, manifest: PluginManifest): PluginDefinition {
  if (manifest.surfaces.length === 0) return definition;
  const declared = new Set(manifest.surfaces.map((s) => `${s.kind}/${s.key}`));
  return Object.freeze({
    ...definition,
    async register(registrar: Registrar) {
      const registered = new Set<string>();
      const tracking: Registrar = new Proxy(registrar, {
        get(target, prop, receiver) {
          if (prop !== 'add') return Reflect.get(target, prop, receiver) as unknown;
          return (kind: string, provider: never) => {
            target.add(kind, provider);
            registered.add(`${kind}/${keyOf(provider, kind)}`);
            return tracking;
          };
        },
      });
      await definition.register(tracking);
      const undeclared = [...registered].filter((s) => !declared.has(s));
      const absent = [...declared].filter((s) => !registered.has(s));
      if (undeclared.length > 0 || absent.length > 0) {
        throw new ReloadError({
          code: 'REGISTRATION_FAILED',
          phase: 'stage',
          plugin: manifest.name,
          message: `registered surfaces differ from the manifest: ${[...undeclared.map((s) => `undeclared ${s}`), ...absent.map((s) => `missing ${s}`)].join(', ')}`,
        });
      }
    },
  });
}

function keyOf(provider: never, kind: string): string {
  const discipline = DisciplineSet.builtin().get(kind);
  return discipline && discipline.validate(provider).length === 0 ? discipline.keyOf(provider) : '?';
}
