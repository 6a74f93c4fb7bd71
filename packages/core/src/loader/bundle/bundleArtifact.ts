/**
 * Builds a bundled plugin artifact from a plugin's source directory, and signs it: the entry and
 * everything it imports, except the modules the host shares, become one CommonJS file with a
 * source map (built with esbuild, loaded on demand: an optional peer dependency), written with the
 * manifest and its signature to a directory of their own. What is signed is exactly what the
 * loader evaluates (see `bundledVersion`).
 */
import { mkdir, readdir } from 'node:fs/promises';
import type * as Esbuild from 'esbuild';
import { join, relative, resolve } from 'node:path';
import { writeFileAtomic } from '../../durable/atomicFile.js';
import { ArgumentChecks } from '../argumentChecks.js';
import { invalid, readDraft } from '../artifactSnapshot.js';
import { fsCall } from '../fsErrors.js';
import { MANIFEST_FILE, SIGNATURE_FILE } from '../manifest.js';
import type { PluginManifest } from '../manifest.js';
import { signPluginDirectory } from '../signArtifact.js';

/** The bundle's file name in a bundled artifact; its source map is `plugin.cjs.map`. */
export const BUNDLE_FILE = 'plugin.cjs';

/** Options of {@link bundlePluginDirectory}. */
export interface BundleOptions {
  /** The signing key (PEM). */
  readonly privateKeyPem: string;
  /**
   * Modules the host shares with the bundle (passed to `loadPluginVersion` as `shared`), left out
   * of it; `@baton/core` and Node's built-ins always are. A trailing `/*` also leaves out subpaths.
   */
  readonly external?: readonly string[];
  /** Minify the bundle (its source map still points at the sources). Default false. */
  readonly minify?: boolean;
}

const OWN_FILES = new Set([BUNDLE_FILE, `${BUNDLE_FILE}.map`, MANIFEST_FILE, SIGNATURE_FILE]);

/** esbuild, or a clear error saying how to get it. */
async function loadEsbuild(): Promise<typeof Esbuild> {
  try {
    return await import('esbuild');
  } catch (error) {
    throw invalid('bundling needs the esbuild package: npm install --save-dev esbuild', error);
  }
}

/**
 * Bundles the plugin in `sourceDirectory` (its `baton-plugin.json` names the entry, a `.ts` or
 * `.js` file) into `outDirectory` as `plugin.cjs` and `plugin.cjs.map`, and signs it there with
 * `loader: 'bundle'`. `outDirectory` is created, or must hold nothing but a previous bundle's files.
 * A build error, or a source directory verification would refuse, is `INVALID_ARGUMENT`.
 */
export async function bundlePluginDirectory(
  sourceDirectory: string,
  outDirectory: string,
  options: BundleOptions,
): Promise<PluginManifest> {
  const check = new ArgumentChecks('bundlePluginDirectory', 'verify');
  check.string('sourceDirectory', sourceDirectory);
  check.string('outDirectory', outDirectory);
  const o = check.object('options', options);
  check.string('options.privateKeyPem', o['privateKeyPem']);
  if (o['external'] !== undefined) check.strings('options.external', o['external']);
  const [source, out] = [resolve(sourceDirectory), resolve(outDirectory)];
  if (source === out)
    throw invalid('outDirectory must differ from sourceDirectory (the bundle is an artifact of its own)');
  const draft = await readDraft(source);
  await emptyOrOwn(out);
  const esbuild = await loadEsbuild();
  let outputs: { path: string; contents: Uint8Array }[];
  try {
    const result = await esbuild.build({
      absWorkingDir: source,
      entryPoints: [join(source, ...draft.entry.split('/'))],
      outfile: join(out, BUNDLE_FILE),
      bundle: true,
      format: 'cjs',
      platform: 'node',
      target: 'node20',
      // `import()` becomes `require` (of the bundle or of a shared module): a bundle is compiled with
      // no dynamic-import callback, which would tie it to Node's module map and keep it alive.
      supported: { 'dynamic-import': false },
      sourcemap: true,
      sourcesContent: false,
      minify: options.minify === true,
      external: ['@baton/core', '@baton/core/*', ...(options.external ?? [])],
      write: false,
      logLevel: 'silent',
    });
    outputs = result.outputFiles;
  } catch (error) {
    const errors = (error as { errors?: { text: string; location?: { file: string; line: number } | null }[] }).errors;
    const what = errors?.map((e) => (e.location ? `${e.location.file}:${e.location.line}: ${e.text}` : e.text));
    throw invalid(`could not bundle ${source}: ${describeBundleErrors(what ?? [String(error)])}`, error);
  }
  await fsCall({ doing: 'creating', path: out, phase: 'verify' }, () => mkdir(out, { recursive: true, mode: 0o755 }));
  for (const file of outputs) {
    const name = relative(out, file.path);
    await fsCall({ doing: 'writing', path: file.path, phase: 'verify' }, () =>
      writeFileAtomic(join(out, name), file.contents, { mode: 0o644 }),
    );
  }
  return signPluginDirectory(out, options.privateKeyPem, {
    name: draft.name,
    version: draft.version,
    entry: BUNDLE_FILE,
    loader: 'bundle',
    ...(draft.dependsOn === undefined ? {} : { dependsOn: draft.dependsOn }),
    ...(draft.surfaces === undefined ? {} : { surfaces: draft.surfaces }),
  });
}

/** Refuses an `outDirectory` holding anything but a previous bundle's own files. */
async function emptyOrOwn(out: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(out);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw invalid(`cannot read ${out}`, error);
  }
  const foreign = names.filter((name) => !OWN_FILES.has(name));
  if (foreign.length > 0)
    throw invalid(
      `${out} holds files of its own (${foreign.slice(0, 5).join(', ')}): give an empty or new directory for the bundled artifact`,
    );
}

/** How many of esbuild's errors the message quotes. */
const QUOTED_ERRORS = 3;

/**
 * esbuild's errors, the first few quoted, and — when they come from installed packages (native code,
 * platform-specific optional dependencies) — which packages, and what to do about them.
 */
function describeBundleErrors(errors: readonly string[]): string {
  const quoted = errors.slice(0, QUOTED_ERRORS).join('; ');
  const more = errors.length > QUOTED_ERRORS ? ` (and ${errors.length - QUOTED_ERRORS} more)` : '';
  const packages = new Set<string>();
  for (const e of errors) {
    const name = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(e)?.[1];
    if (name !== undefined) packages.add(name);
  }
  if (packages.size === 0) return quoted + more;
  return (
    `${quoted}${more}. These come from installed packages that cannot go into a bundle (${[...packages].join(', ')}: ` +
    'native code or platform-specific optional dependencies): mark the module your plugin imports them through ' +
    "as external (`--external <module>`, or bundlePluginDirectory's `external`) and pass the host's copy as `shared`"
  );
}
