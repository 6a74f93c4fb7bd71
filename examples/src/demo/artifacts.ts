import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BUNDLE_FILE, bundlePluginDirectory, generateSigningKey, trustedKey } from '@baton/core/loader';
import type { TrustedKey } from '@baton/core/loader';
import { pluginModules } from '../engine/pluginModules.js';

/** Signed plugin artifacts for the demo, and the key that trusts them. */
export interface DemoArtifacts {
  readonly v1: string;
  readonly v2: string;
  readonly v3: string;
  /** A copy of v2 with one byte of its code changed after signing. */
  readonly tampered: string;
  readonly trustedKeys: readonly TrustedKey[];
}

/**
 * Bundles each example plugin into `<dataDir>/artifacts/<name>` and signs it with a signing key made
 * for this run (as a release pipeline would with `baton sign --bundle`): loaded from a bundle, a
 * retired version's code is garbage collected. Also makes a tampered copy of v2.
 */
export async function prepareArtifacts(pluginsDir: string, dataDir: string): Promise<DemoArtifacts> {
  const key = generateSigningKey();
  const root = join(dataDir, 'artifacts');
  await mkdir(root, { recursive: true });
  const signed = async (name: string): Promise<string> => {
    const dir = join(root, name);
    await bundlePluginDirectory(join(pluginsDir, name), dir, {
      privateKeyPem: key.privateKeyPem,
      external: Object.keys(pluginModules),
    });
    return dir;
  };
  const [v1, v2, v3] = [await signed('geo-search-v1'), await signed('geo-search-v2'), await signed('geo-search-v3')];
  const tampered = join(root, 'geo-search-v2-tampered');
  await cp(v2, tampered, { recursive: true });
  const entry = join(tampered, BUNDLE_FILE);
  const code = await readFile(entry, 'utf8');
  const changed = code.replace('maxProbeResults: 1 << 25', 'maxProbeResults: 1 << 26');
  if (changed === code)
    throw new Error(`the tampered copy's change was not made: no 'maxProbeResults: 1 << 25' in ${entry}`);
  await writeFile(entry, changed);
  return { v1, v2, v3, tampered, trustedKeys: [trustedKey(key.publicKeyPem)] };
}
