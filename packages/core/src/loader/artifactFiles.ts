import { lstat, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ReloadError } from '../errors/reloadError.js';
import { errnoOf, fsCall, fsError } from './fsErrors.js';
import { MANIFEST_FILE, MANIFEST_LIMITS, SIGNATURE_FILE } from './manifest.js';

/** Who reads the artifact: `baton sign` reports bad input, verification reports a failed check. */
export type ArtifactReader = 'sign' | 'verify';

function refused(reader: ArtifactReader, message: string, plugin?: string): ReloadError {
  return new ReloadError({
    code: reader === 'sign' ? 'INVALID_ARGUMENT' : 'VERIFICATION_FAILED',
    phase: 'verify',
    ...(plugin === undefined ? {} : { plugin }),
    message,
  });
}

/**
 * Every file of an artifact directory as sorted `/`-separated relative paths, without the manifest
 * and the signature. Refuses symbolic links and special files, and more than
 * `MANIFEST_LIMITS.maxFiles` files: `baton sign` and verification apply the same rules, so what
 * one accepts the other accepts.
 */
export async function listArtifactFiles(directory: string, reader: ArtifactReader, plugin?: string): Promise<string[]> {
  const out: string[] = [];
  const code = reader === 'verify' ? 'VERIFICATION_FAILED' : 'IO_FAILED';
  const walk = async (dir: string, prefix: string): Promise<void> => {
    const entries = await fsCall({ doing: 'listing', path: dir, phase: 'verify', plugin, code }, () =>
      readdir(dir, { withFileTypes: true }),
    );
    for (const entry of entries) {
      const path = prefix + entry.name;
      if (entry.isSymbolicLink())
        throw refused(reader, `'${path}' is a symbolic link; artifacts may not contain links`, plugin);
      if (entry.isDirectory()) await walk(join(dir, entry.name), `${path}/`);
      else if (!entry.isFile()) throw refused(reader, `'${path}' is not a regular file`, plugin);
      else if (path !== MANIFEST_FILE && path !== SIGNATURE_FILE) out.push(path);
      if (out.length > MANIFEST_LIMITS.maxFiles)
        throw refused(reader, `more than ${MANIFEST_LIMITS.maxFiles} files (the limit of a plugin artifact)`, plugin);
    }
  };
  await walk(directory, '');
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** What {@link readArtifactFile} reads. */
export interface ReadLimitedOptions {
  readonly reader: ArtifactReader;
  /** Refuse files larger than this before reading them. */
  readonly maxBytes: number;
  /** The file in words, for messages (`the manifest`, `'lib/x.js'`). */
  readonly what: string;
  readonly plugin?: string | undefined;
  /** What to say when the file does not exist (default: `<what> is missing`). */
  readonly missing?: string;
}

/**
 * Reads one regular file of an artifact, refusing links, special files and files over the limit
 * before reading. A missing file or a failed read is a `ReloadError` naming the path.
 */
export async function readArtifactFile(path: string, options: ReadLimitedOptions): Promise<Uint8Array> {
  const { reader, maxBytes, what, plugin } = options;
  const context = {
    doing: `reading ${what} at`,
    path,
    phase: 'verify',
    plugin,
    code: reader === 'verify' ? 'VERIFICATION_FAILED' : 'IO_FAILED',
  } as const;
  let size: number;
  try {
    const stats = await lstat(path);
    if (!stats.isFile()) throw refused(reader, `${what} (${path}) is not a regular file`, plugin);
    size = stats.size;
  } catch (error) {
    if (errnoOf(error) === 'ENOENT' || errnoOf(error) === 'ENOTDIR')
      throw new ReloadError({
        code: reader === 'sign' ? 'INVALID_ARGUMENT' : 'VERIFICATION_FAILED',
        phase: 'verify',
        ...(plugin === undefined ? {} : { plugin }),
        message: `${options.missing ?? `${what} is missing`} (${path})`,
        cause: error,
      });
    throw fsError(error, context);
  }
  if (size > maxBytes) throw refused(reader, `${what} is ${size} bytes, over the limit of ${maxBytes}`, plugin);
  const bytes = await fsCall(context, () => readFile(path));
  if (bytes.byteLength > maxBytes)
    throw refused(reader, `${what} is ${bytes.byteLength} bytes, over the limit of ${maxBytes}`, plugin);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
