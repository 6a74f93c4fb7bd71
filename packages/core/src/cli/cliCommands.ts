import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ReloadError, isReloadError } from '../errors/reloadError.js';
import { readDraft, snapshotArtifact } from '../loader/artifactSnapshot.js';
import { bundlePluginDirectory } from '../loader/bundle/bundleArtifact.js';
import { MANIFEST_FILE } from '../loader/manifest.js';
import type { ManifestDraft } from '../loader/manifestDraft.js';
import { runInChild } from './inspectCommand.js';
import type { ChildOptions } from './inspectCommand.js';
import { signPluginDirectory } from '../loader/signArtifact.js';
import { verifyPluginDirectory } from '../loader/verifyDirectory.js';
import { loadSigningKey, loadTrustedKey, writeKeyPair } from './keyFiles.js';

/** Where a command writes its output. */
export type Print = (line: string) => void;

/** `baton keygen`: writes an ed25519 key pair (private key 0600) and prints its id. */
export async function keygen(outDir: string, print: Print): Promise<void> {
  const { pair, privatePath, publicPath } = await writeKeyPair(outDir);
  print(`key id      ${pair.keyId}`);
  print(`private key ${privatePath} (keep it secret)`);
  print(`public key  ${publicPath} (give it to hosts: --trust)`);
}

/**
 * The surfaces the plugin in `directory` registers, found by running its `register()` in a child
 * process (as `baton inspect` does), for a manifest that does not list them.
 */
async function foundSurfaces(
  directory: string,
  draft: ManifestDraft,
  child: ChildOptions,
  print: Print,
): Promise<ManifestDraft> {
  if (draft.surfaces !== undefined) return draft;
  const snapshot = await snapshotArtifact(directory, draft);
  let outcome;
  try {
    outcome = await runInChild(
      { next: { ...snapshot, keyId: 'unsigned', directory: resolve(directory) } },
      child,
      'sign',
    );
  } catch (error) {
    if (!isReloadError(error)) throw error;
    throw new ReloadError({
      code: error.code,
      ...(error.phase === undefined ? {} : { phase: error.phase }),
      ...(error.plugin === undefined ? {} : { plugin: error.plugin }),
      message: `${error.message} (sign runs register() to list the surfaces in the manifest: pass --services for the host services it needs, or write "surfaces" in ${MANIFEST_FILE}; "surfaces": [] skips the check)`,
      cause: error,
    });
  }
  print(`surfaces: ${outcome.surfaces.map((s) => `${s.kind} ${s.key}`).join(', ') || 'none'} (from register())`);
  return { ...draft, surfaces: outcome.surfaces };
}

/**
 * `baton sign <dir> --key <private.pem>`: hashes every file and signs the manifest. A manifest
 * without `surfaces` gets them from the plugin's own `register()` (run in a child process).
 */
export async function sign(directory: string, keyPath: string, print: Print, child: ChildOptions): Promise<void> {
  const key = await loadSigningKey(keyPath);
  const draft = await foundSurfaces(directory, await readDraft(directory), child, print);
  const manifest = await signPluginDirectory(directory, key, draft);
  print(`signed ${manifest.name} ${manifest.version}: ${Object.keys(manifest.files).length} file(s)`);
  if (manifest.entry.endsWith('.js') && !(await isModulePackage(directory))) {
    print(
      `warning: ${manifest.entry} is a .js file but the artifact has no package.json with "type": "module"; add one (or use .mjs) so it loads as an ES module`,
    );
  }
}

/**
 * `baton sign <dir> --key <private.pem> --bundle <out-dir>`: bundles the plugin into `<out-dir>`
 * and signs that artifact (see `bundlePluginDirectory`).
 */
export async function signBundle(
  directory: string,
  outDirectory: string,
  keyPath: string,
  external: readonly string[],
  print: Print,
  child: ChildOptions,
): Promise<void> {
  const privateKeyPem = await loadSigningKey(keyPath);
  let manifest = await bundlePluginDirectory(directory, outDirectory, { privateKeyPem, external });
  const draft = await readDraft(directory);
  if (draft.surfaces === undefined) {
    // The bundle is what runs: its surfaces come from it, with the modules the host shares.
    const { name, version, entry, loader, dependsOn } = await readDraft(outDirectory);
    const bundled = { name, version, entry, ...(loader ? { loader } : {}), ...(dependsOn ? { dependsOn } : {}) };
    const found = await foundSurfaces(outDirectory, bundled, { ...child, shared: external }, print);
    manifest = await signPluginDirectory(outDirectory, privateKeyPem, found);
  }
  const bytes = (await stat(join(outDirectory, manifest.entry))).size;
  print(`bundled and signed ${manifest.name} ${manifest.version}: ${outDirectory}/${manifest.entry} (${bytes} bytes)`);
}

/** `baton verify <dir> --trust <pub.pem>…`: checks the signature and every file hash. */
export async function verify(directory: string, trust: readonly string[], print: Print): Promise<void> {
  const keys = await Promise.all(trust.map(loadTrustedKey));
  const verified = await verifyPluginDirectory(directory, { trustedKeys: keys });
  print(
    `ok: ${verified.manifest.name} ${verified.manifest.version} signed by ${verified.keyId}; ${verified.files.size} file(s) match their sha256`,
  );
}

async function isModulePackage(directory: string): Promise<boolean> {
  try {
    return (
      (JSON.parse(await readFile(join(directory, 'package.json'), 'utf8')) as { type?: unknown }).type === 'module'
    );
  } catch {
    return false;
  }
}
