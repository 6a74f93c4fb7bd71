import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateSigningKey, signPluginDirectory, trustedKey } from '@baton/core/loader';
import type { TrustedKey } from '@baton/core/loader';

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
 * Copies the example plugins into `<dataDir>/artifacts`, signs each with a signing key made for
 * this run (as a release pipeline would with `baton sign`), and makes a tampered copy of v2.
 */
export async function prepareArtifacts(pluginsDir: string, dataDir: string): Promise<DemoArtifacts> {
  const key = generateSigningKey();
  const root = join(dataDir, 'artifacts');
  await mkdir(root, { recursive: true });
  const signed = async (name: string): Promise<string> => {
    const dir = join(root, name);
    await cp(join(pluginsDir, name), dir, { recursive: true });
    await signPluginDirectory(dir, key.privateKeyPem);
    return dir;
  };
  const [v1, v2, v3] = [await signed('geo-search-v1'), await signed('geo-search-v2'), await signed('geo-search-v3')];
  const tampered = join(root, 'geo-search-v2-tampered');
  await cp(v2, tampered, { recursive: true });
  const entry = join(tampered, 'index.js');
  const code = await readFile(entry, 'utf8');
  await writeFile(entry, code.replace('maxProbeResults: 1 << 25', 'maxProbeResults: 1 << 26'));
  return { v1, v2, v3, tampered, trustedKeys: [trustedKey(key.publicKeyPem)] };
}
