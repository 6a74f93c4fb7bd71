import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { bundlePluginDirectory } from '../loader/bundle/bundleArtifact.js';
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

/** `baton sign <dir> --key <private.pem>`: hashes every file and signs the manifest. */
export async function sign(directory: string, keyPath: string, print: Print): Promise<void> {
  const manifest = await signPluginDirectory(directory, await loadSigningKey(keyPath));
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
): Promise<void> {
  const manifest = await bundlePluginDirectory(directory, outDirectory, {
    privateKeyPem: await loadSigningKey(keyPath),
    external,
  });
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
