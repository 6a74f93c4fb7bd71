import { join } from 'node:path';
import { writeFileAtomic } from '../durable/atomicFile.js';
import { snapshotArtifact } from './artifactSnapshot.js';
import { ArgumentChecks } from './argumentChecks.js';
import { fsCall } from './fsErrors.js';
import { MANIFEST_FILE, SIGNATURE_FILE } from './manifest.js';
import type { PluginManifest } from './manifest.js';
import { serializeSignature, signManifest } from './signing.js';
import type { ManifestDraft } from './manifestDraft.js';

export type { ManifestDraft } from './manifestDraft.js';

/**
 * Signs a plugin artifact directory: hashes every file in it (except the manifest and signature),
 * writes the canonical manifest `baton-plugin.json` and its ed25519 signature `baton-plugin.sig`.
 * The draft comes from `draft`, or from the existing manifest when `draft` is absent.
 *
 * Refuses (`INVALID_ARGUMENT`) what verification would refuse: links, special files, more files or
 * larger files than `MANIFEST_LIMITS`, unsafe paths, and `package.json` entry points that resolve
 * outside the artifact. A file-system failure is `IO_FAILED` naming the path.
 */
export async function signPluginDirectory(
  directory: string,
  privateKeyPem: string,
  draft?: ManifestDraft,
): Promise<PluginManifest> {
  const check = new ArgumentChecks('signPluginDirectory', 'verify');
  check.string('directory', directory);
  check.string('privateKeyPem', privateKeyPem);
  if (draft !== undefined) check.draft('draft', draft);
  const snapshot = await snapshotArtifact(directory, draft);
  const signature = signManifest(snapshot.manifestBytes, privateKeyPem);
  for (const [file, bytes] of [
    [MANIFEST_FILE, snapshot.manifestBytes],
    [SIGNATURE_FILE, serializeSignature(signature)],
  ] as const) {
    const path = join(directory, file);
    await fsCall({ doing: 'writing', path, phase: 'verify' }, () => writeFileAtomic(path, bytes, { mode: 0o644 }));
  }
  return snapshot.manifest;
}
