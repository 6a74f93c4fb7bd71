import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ReloadDispatcher } from '../dispatch/reloadDispatcher.js';
import { collectRegistrations } from '../loader/collectRegistrations.js';
import { parseManifest, MANIFEST_FILE } from '../loader/manifest.js';
import type { PluginManifest } from '../loader/manifest.js';
import { signPluginDirectory } from '../loader/signArtifact.js';
import { generateSigningKey, trustedKey } from '../loader/signing.js';
import { verifyPluginDirectory } from '../loader/verifyDirectory.js';
import { ReloadError } from '../errors/reloadError.js';

/** Where a command writes its output. */
export type Print = (line: string) => void;

/** `baton keygen`: writes an ed25519 key pair (private key 0600) and prints its id. */
export async function keygen(outDir: string, print: Print): Promise<void> {
  await mkdir(outDir, { recursive: true });
  const pair = generateSigningKey();
  const privatePath = join(outDir, 'baton-signing.key');
  const publicPath = join(outDir, 'baton-signing.pub');
  await writeFile(privatePath, pair.privateKeyPem, { mode: 0o600, flag: 'wx' }).catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'EEXIST')
        throw new ReloadError({
          code: 'INVALID_ARGUMENT',
          message: `${privatePath} exists; refusing to overwrite a signing key`,
        });
      throw error;
    },
  );
  await writeFile(publicPath, pair.publicKeyPem, { mode: 0o644 });
  print(`key id      ${pair.keyId}`);
  print(`private key ${privatePath} (keep it secret)`);
  print(`public key  ${publicPath} (give it to hosts: --trust)`);
}

/** `baton sign <dir> --key <private.pem>`: hashes every file and signs the manifest. */
export async function sign(directory: string, keyPath: string, print: Print): Promise<void> {
  const manifest = await signPluginDirectory(directory, await readFile(keyPath, 'utf8'));
  print(`signed ${manifest.name} ${manifest.version}: ${Object.keys(manifest.files).length} file(s)`);
  if (manifest.entry.endsWith('.js') && !(await isModulePackage(directory))) {
    print(
      `warning: ${manifest.entry} is a .js file but the artifact has no package.json with "type": "module"; add one (or use .mjs) so it loads as an ES module`,
    );
  }
}

/** `baton verify <dir> --trust <pub.pem>…`: checks the signature and every file hash. */
export async function verify(directory: string, trust: readonly string[], print: Print): Promise<void> {
  const keys = await Promise.all(trust.map(async (path) => trustedKey(await readFile(path, 'utf8'))));
  const verified = await verifyPluginDirectory(directory, { trustedKeys: keys });
  print(
    `ok: ${verified.manifest.name} ${verified.manifest.version} signed by ${verified.keyId}; ${verified.files.size} file(s) match their sha256`,
  );
}

/**
 * `baton inspect <dir> [--against <dir>] [--trust <pub.pem>…]`: the manifest's surfaces and, with
 * `--against`, the compat verdict of every surface from that version to this one. Importing code is
 * required for the verdict: both artifacts are verified first when keys are given.
 */
export async function inspect(
  directory: string,
  against: string | undefined,
  trust: readonly string[],
  print: Print,
): Promise<boolean> {
  const keys = await Promise.all(trust.map(async (path) => trustedKey(await readFile(path, 'utf8'))));
  const manifest = await readManifest(directory, keys);
  print(
    `${manifest.name} ${manifest.version}${manifest.dependsOn.length ? ` (depends on ${manifest.dependsOn.join(', ')})` : ''}`,
  );
  print(`entry ${manifest.entry}; ${Object.keys(manifest.files).length} file(s)`);
  for (const s of manifest.surfaces) print(`  ${s.kind.padEnd(18)} ${s.key}`);
  if (against === undefined) return true;
  const oldManifest = await readManifest(against, keys);
  const oldRegs = await registrationsOf(against, oldManifest);
  const newRegs = await registrationsOf(directory, manifest);
  const report = await new ReloadDispatcher(oldRegs, newRegs).inspectCompat();
  print(`compat ${oldManifest.version} → ${manifest.version}:`);
  for (const line of report.toLines()) print(`  ${line}`);
  print(
    report.compatible
      ? 'verdict: compatible (a reload can proceed)'
      : `verdict: INCOMPATIBLE (${report.incompatible.length} surface(s) block a reload)`,
  );
  return report.compatible;
}

async function readManifest(
  directory: string,
  keys: readonly ReturnType<typeof trustedKey>[],
): Promise<PluginManifest> {
  if (keys.length > 0) return (await verifyPluginDirectory(directory, { trustedKeys: keys })).manifest;
  return parseManifest(new Uint8Array(await readFile(join(directory, MANIFEST_FILE))));
}

async function registrationsOf(directory: string, manifest: PluginManifest) {
  const module = (await import(pathToFileURL(join(directory, ...manifest.entry.split('/'))).href)) as Record<
    string,
    unknown
  >;
  return collectRegistrations(module['default'] ?? module['plugin']);
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
