import { createHash } from 'node:crypto';
import { lstat, readFile, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { ReloadError } from '../errors/reloadError.js';
import { MANIFEST_FILE, MANIFEST_LIMITS, SIGNATURE_FILE, parseManifest } from './manifest.js';
import type { PluginManifest } from './manifest.js';
import { verifyManifestSignature } from './signing.js';
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
 * signature against the trusted keys, then that the directory holds exactly the listed files (no
 * extra files, no symlinks) and that each file's sha256 matches. Size limits are checked before
 * reading. Throws `VERIFICATION_FAILED` saying what is wrong.
 */
export async function verifyPluginDirectory(directory: string, options: VerifyOptions): Promise<VerifiedPlugin> {
  const manifestBytes = await readLimited(
    join(directory, MANIFEST_FILE),
    MANIFEST_LIMITS.maxManifestBytes,
    'the manifest',
  );
  const signatureBytes = await readLimited(
    join(directory, SIGNATURE_FILE),
    64 * 1024,
    'the signature (unsigned artifact?)',
  );
  const key = verifyManifestSignature(manifestBytes, signatureBytes, options.trustedKeys);
  const manifest = parseManifest(manifestBytes);
  const listed = new Set(Object.keys(manifest.files));
  const present = await listFiles(directory, manifest.name);
  const extra = present.filter((path) => !listed.has(path) && path !== MANIFEST_FILE && path !== SIGNATURE_FILE);
  if (extra.length > 0) throw fail(`files not in the manifest: ${extra.slice(0, 5).join(', ')}`, manifest.name);
  const missing = [...listed].filter((path) => !present.includes(path));
  if (missing.length > 0) throw fail(`files missing: ${missing.slice(0, 5).join(', ')}`, manifest.name);
  const files = new Map<string, Uint8Array>();
  for (const [path, digest] of Object.entries(manifest.files)) {
    const bytes = await readLimited(join(directory, ...path.split('/')), MANIFEST_LIMITS.maxFileBytes, `'${path}'`);
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== digest)
      throw fail(`'${path}' does not match its sha256 in the manifest (tampered file?)`, manifest.name);
    files.set(path, bytes);
  }
  return {
    manifest,
    manifestBytes,
    keyId: key.keyId,
    files,
    digest: createHash('sha256').update(manifestBytes).digest('hex'),
  };
}

/** Every regular file under `directory`, as `/`-separated relative paths; refuses symlinks and special files. */
async function listFiles(directory: string, plugin: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      const path = relative(directory, full).split(sep).join('/');
      if (entry.isSymbolicLink()) throw fail(`'${path}' is a symbolic link; artifacts may not contain links`, plugin);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) out.push(path);
      else throw fail(`'${path}' is not a regular file`, plugin);
      if (out.length > MANIFEST_LIMITS.maxFiles) throw fail(`more than ${MANIFEST_LIMITS.maxFiles} files`, plugin);
    }
  };
  await walk(directory);
  return out;
}

async function readLimited(path: string, maxBytes: number, what: string): Promise<Uint8Array> {
  let stats;
  try {
    stats = await lstat(path);
  } catch (error) {
    throw new ReloadError({
      code: 'VERIFICATION_FAILED',
      phase: 'verify',
      message: `cannot read ${what}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      cause: error,
    });
  }
  if (!stats.isFile()) throw fail(`${what} is not a regular file`);
  if (stats.size > maxBytes) throw fail(`${what} is ${stats.size} bytes, over the limit of ${maxBytes}`);
  return new Uint8Array(await readFile(path));
}
