import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { writeFileAtomic } from '../durable/atomicFile.js';
import { ReloadError } from '../errors/reloadError.js';
import { MANIFEST_FILE, SIGNATURE_FILE, parseManifest, serializeManifest } from './manifest.js';
import type { ManifestSurface, PluginManifest } from './manifest.js';
import { signManifest } from './signing.js';

/** What the author declares; `files` are computed by {@link signPluginDirectory}. */
export interface ManifestDraft {
  readonly name: string;
  readonly version: string;
  readonly entry: string;
  readonly dependsOn?: readonly string[];
  readonly surfaces?: readonly ManifestSurface[];
}

/**
 * Signs a plugin artifact directory: hashes every file in it (except the manifest and signature),
 * writes the canonical manifest `baton-plugin.json` and its ed25519 signature `baton-plugin.sig`.
 * The draft comes from `draft`, or from the existing manifest when `draft` is absent.
 */
export async function signPluginDirectory(
  directory: string,
  privateKeyPem: string,
  draft?: ManifestDraft,
): Promise<PluginManifest> {
  const base = draft ?? (await readDraft(directory));
  const files: Record<string, string> = {};
  for (const path of await walk(directory)) {
    if (path === MANIFEST_FILE || path === SIGNATURE_FILE) continue;
    files[path] = createHash('sha256')
      .update(await readFile(join(directory, ...path.split('/'))))
      .digest('hex');
  }
  const manifestBytes = serializeManifest({
    manifestVersion: 1,
    name: base.name,
    version: base.version,
    entry: base.entry,
    dependsOn: base.dependsOn ?? [],
    surfaces: base.surfaces ?? [],
    files,
  });
  const manifest = parseManifest(manifestBytes); // validates paths, entry, names
  const signature = signManifest(manifestBytes, privateKeyPem);
  await writeFileAtomic(join(directory, MANIFEST_FILE), manifestBytes, { mode: 0o644 });
  await writeFileAtomic(
    join(directory, SIGNATURE_FILE),
    new TextEncoder().encode(JSON.stringify(signature, null, 2) + '\n'),
    { mode: 0o644 },
  );
  return manifest;
}

async function readDraft(directory: string): Promise<ManifestDraft> {
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(join(directory, MANIFEST_FILE), 'utf8'));
  } catch (error) {
    throw new ReloadError({
      code: 'INVALID_ARGUMENT',
      phase: 'verify',
      message: `${directory} has no readable ${MANIFEST_FILE} to sign (give name, version, entry)`,
      cause: error,
    });
  }
  const d = doc as Partial<ManifestDraft>;
  if (typeof d.name !== 'string' || typeof d.version !== 'string' || typeof d.entry !== 'string') {
    throw new ReloadError({
      code: 'INVALID_ARGUMENT',
      phase: 'verify',
      message: `${MANIFEST_FILE} needs name, version and entry`,
    });
  }
  return {
    name: d.name,
    version: d.version,
    entry: d.entry,
    ...(d.dependsOn ? { dependsOn: d.dependsOn } : {}),
    ...(d.surfaces ? { surfaces: d.surfaces } : {}),
  };
}

async function walk(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(directory, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .sort();
}
