import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { ReloadError } from '../errors/reloadError.js';
import { forEachFile, listArtifactFiles, readArtifactFile } from './artifactFiles.js';
import { MANIFEST_FILE, MANIFEST_LIMITS, SIGNATURE_FILE, parseManifest } from './manifest.js';
import type { PluginManifest } from './manifest.js';
import { entryPointProblems } from './packageEntryPoints.js';
import { verifyManifestSignature } from './signing.js';
import { ArgumentChecks } from './argumentChecks.js';
import type { TrustedKey } from './signing.js';

/** A plugin artifact whose signature and every file hash were checked, with the verified bytes. */
export interface VerifiedPlugin {
  readonly manifest: PluginManifest;
  /** The exact manifest bytes that were signed. */
  readonly manifestBytes: Uint8Array;
  /** The key that signed it. */
  readonly keyId: string;
  /** Verified file contents by path: install these bytes, never re-read the directory. */
  readonly files: ReadonlyMap<string, Uint8Array>;
  /** sha256 of the manifest bytes: the artifact's content address. */
  readonly digest: string;
  /** The directory it was verified in (absolute). */
  readonly directory: string;
}

/** Options of {@link verifyPluginDirectory}. */
export interface VerifyOptions {
  /** Keys whose signatures are accepted. */
  readonly trustedKeys: readonly TrustedKey[];
}

const fail = (message: string, plugin?: string): ReloadError =>
  new ReloadError({
    code: 'VERIFICATION_FAILED',
    phase: 'verify',
    ...(plugin === undefined ? {} : { plugin }),
    message,
  });

/**
 * Verifies a plugin artifact directory before any of its code runs: the manifest's ed25519
 * signature against the trusted keys, that the manifest is in canonical form, that the directory
 * holds exactly the listed files (no extra files, no symlinks) and that each file's sha256 matches,
 * and that no `package.json` in it points an entry point outside it (see `entryPointProblems`).
 * Size limits are checked before reading. Throws `VERIFICATION_FAILED` saying what is wrong (with
 * the path and the system error as cause when a file cannot be read).
 */
export async function verifyPluginDirectory(directory: string, options: VerifyOptions): Promise<VerifiedPlugin> {
  const check = new ArgumentChecks('verifyPluginDirectory', 'verify');
  check.string('directory', directory);
  check.trustedKeys('options.trustedKeys', check.object('options', options)['trustedKeys']);
  const manifestBytes = await readArtifactFile(join(directory, MANIFEST_FILE), {
    reader: 'verify',
    maxBytes: MANIFEST_LIMITS.maxManifestBytes,
    what: 'the manifest',
    missing: `cannot read the manifest: no ${MANIFEST_FILE} (not a signed artifact?)`,
  });
  const signatureBytes = await readArtifactFile(join(directory, SIGNATURE_FILE), {
    reader: 'verify',
    maxBytes: 64 * 1024,
    what: 'the signature',
    missing: `cannot read the signature: no ${SIGNATURE_FILE} (unsigned artifact?)`,
  });
  const key = verifyManifestSignature(manifestBytes, signatureBytes, options.trustedKeys);
  const manifest = parseManifest(manifestBytes);
  const listed = new Set(Object.keys(manifest.files));
  const present = await listArtifactFiles(directory, 'verify', manifest.name);
  const extra = present.filter((path) => !listed.has(path));
  if (extra.length > 0) throw fail(`files not in the manifest: ${extra.slice(0, 5).join(', ')}`, manifest.name);
  const presentSet = new Set(present);
  const missing = [...listed].filter((path) => !presentSet.has(path));
  if (missing.length > 0) throw fail(`files missing: ${missing.slice(0, 5).join(', ')}`, manifest.name);
  const paths = Object.keys(manifest.files);
  const contents = await forEachFile(paths, async (path) => {
    const bytes = await readArtifactFile(join(directory, ...path.split('/')), {
      reader: 'verify',
      maxBytes: MANIFEST_LIMITS.maxFileBytes,
      what: `'${path}'`,
      plugin: manifest.name,
    });
    if (createHash('sha256').update(bytes).digest('hex') !== manifest.files[path])
      throw fail(`'${path}' does not match its sha256 in the manifest (tampered file?)`, manifest.name);
    return bytes;
  });
  const files = new Map(paths.map((path, i) => [path, contents[i]!]));
  const escapes = entryPointProblems(files);
  if (escapes.length > 0) throw fail(escapes.join('; '), manifest.name);
  return {
    manifest,
    manifestBytes,
    keyId: key.keyId,
    files,
    digest: createHash('sha256').update(manifestBytes).digest('hex'),
    directory: resolve(directory),
  };
}
