import { constants } from 'node:fs';
import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ReloadError } from '../errors/reloadError.js';
import { mapBounded } from '../util/boundedMap.js';
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
 * before reading. The file is opened without following a link (and without blocking on a FIFO) and
 * checked through that open handle, so a link swapped in after the listing is refused too. A
 * missing file or a failed read is a `ReloadError` naming the path.
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
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const errno = errnoOf(error);
    if (errno === 'ENOENT' || errno === 'ENOTDIR')
      throw new ReloadError({
        code: reader === 'sign' ? 'INVALID_ARGUMENT' : 'VERIFICATION_FAILED',
        phase: 'verify',
        ...(plugin === undefined ? {} : { plugin }),
        message: `${options.missing ?? `${what} is missing`} (${path})`,
        cause: error,
      });
    if (errno === 'ELOOP') throw refused(reader, `${what} (${path}) is a symbolic link`, plugin);
    throw fsError(error, context);
  }
  try {
    const stats = await fsCall(context, () => handle.stat());
    if (!stats.isFile()) throw refused(reader, `${what} (${path}) is not a regular file`, plugin);
    if (stats.size > maxBytes)
      throw refused(reader, `${what} is ${stats.size} bytes, over the limit of ${maxBytes}`, plugin);
    const bytes = await fsCall(context, () => handle.readFile());
    if (bytes.byteLength > maxBytes)
      throw refused(reader, `${what} is ${bytes.byteLength} bytes, over the limit of ${maxBytes}`, plugin);
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** How many files are read at once: small artifacts of many files verify several times faster. */
const READ_CONCURRENCY = 16;

/**
 * Runs `fn` over `paths` with bounded concurrency and returns the results in order; rejects with the
 * first failure (in time), after every started call has settled.
 */
export async function forEachFile<R>(paths: readonly string[], fn: (path: string) => Promise<R>): Promise<R[]> {
  const results = await mapBounded(paths, READ_CONCURRENCY, fn);
  const failed = results.find((r) => r.status === 'rejected' && r.order === 0);
  if (failed?.status === 'rejected') throw failed.reason;
  return results.map((r) => (r as { value: R }).value);
}
