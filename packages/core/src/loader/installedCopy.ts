import { createHash } from 'node:crypto';
import { lstat, mkdir, open, readdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { syncDirectory } from '../durable/atomicFile.js';
import { forEachFile, readArtifactFile } from './artifactFiles.js';
import { errnoOf, fsError } from './fsErrors.js';
import { sideName } from './runtimeLeftovers.js';
import { currentUid } from './runtimeRoot.js';
import type { VerifiedPlugin } from './verifyDirectory.js';

/** What is at an installed copy's path, compared with the verified bytes. */
export type CopyState =
  { readonly state: 'intact' } | { readonly state: 'absent' } | { readonly state: 'damaged'; readonly reason: string };

/**
 * Compares the installed copy at `directory` with the verified artifact, byte for byte: a real
 * directory of this user, mode 0700, holding exactly the verified files and their parent
 * directories (no links, no special files, nothing extra), each with the verified sha256. Anything
 * else is `damaged`, with the first difference found; a copy that cannot be read is damaged too.
 */
export async function inspectInstalledCopy(directory: string, verified: VerifiedPlugin): Promise<CopyState> {
  const damaged = (reason: string): CopyState => ({ state: 'damaged', reason });
  let top;
  try {
    top = await lstat(directory);
  } catch (error) {
    return errnoOf(error) === 'ENOENT' ? { state: 'absent' } : damaged(`cannot inspect it: ${errnoOf(error)}`);
  }
  if (!top.isDirectory()) return damaged('it is not a directory');
  const uid = currentUid();
  if (uid !== undefined && top.uid !== uid) return damaged(`it is owned by uid ${top.uid}`);
  if (uid !== undefined && (top.mode & 0o777) !== 0o700)
    return damaged(`its mode is ${(top.mode & 0o777).toString(8)}, not 700`);
  const expectedDirs = new Set<string>();
  for (const path of verified.files.keys()) {
    for (let dir = dirname(path); dir !== '.'; dir = dirname(dir)) expectedDirs.add(dir);
  }
  const found: string[] = [];
  const walk = async (dir: string, prefix: string): Promise<string | undefined> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = prefix + entry.name;
      if (entry.isDirectory()) {
        if (!expectedDirs.has(path)) return `unexpected directory '${path}'`;
        const problem = await walk(join(dir, entry.name), `${path}/`);
        if (problem) return problem;
      } else if (!entry.isFile()) return `'${path}' is not a regular file`;
      else if (!verified.files.has(path)) return `unexpected file '${path}'`;
      else found.push(path);
    }
    return undefined;
  };
  try {
    const problem = await walk(directory, '');
    if (problem) return damaged(problem);
  } catch (error) {
    return damaged(`cannot read it: ${errnoOf(error) ?? String(error)}`);
  }
  if (found.length !== verified.files.size) {
    const present = new Set(found);
    return damaged(`'${[...verified.files.keys()].find((path) => !present.has(path))}' is missing`);
  }
  const problems = await forEachFile(found, async (path) => {
    const expected = verified.files.get(path)!;
    let bytes: Uint8Array;
    try {
      bytes = await readArtifactFile(join(directory, ...path.split('/')), {
        reader: 'verify',
        maxBytes: expected.byteLength,
        what: `'${path}'`,
      });
    } catch (error) {
      return `'${path}' cannot be read as the verified file (${error instanceof Error ? error.message : String(error)})`;
    }
    if (bytes.byteLength !== expected.byteLength) return `'${path}' has another size (torn or rewritten)`;
    const digest = createHash('sha256').update(bytes).digest('hex');
    return digest === verified.manifest.files[path] ? undefined : `'${path}' does not match its verified sha256`;
  });
  const problem = problems.find((p) => p !== undefined);
  return problem === undefined ? { state: 'intact' } : damaged(problem);
}

/**
 * Writes the verified files into a new staging directory beside `directory` (0700 directories,
 * 0600 files), fsyncing every file and then every directory, so that once it is renamed into place
 * a crash cannot leave a torn copy. Returns the staging path; removes it again on failure. With
 * `kind: 'private'` the directory is a copy this process imports from itself.
 */
export async function writeStaging(
  directory: string,
  verified: VerifiedPlugin,
  kind: 'staging' | 'private' = 'staging',
): Promise<string> {
  const plugin = verified.manifest.name;
  const staging = sideName(directory, kind);
  let target = staging;
  try {
    await mkdir(staging, { mode: 0o700 });
    const dirs = new Set<string>([staging]);
    for (const [path, bytes] of verified.files) {
      target = join(staging, ...path.split('/'));
      const parent = dirname(target);
      if (!dirs.has(parent)) {
        await mkdir(parent, { recursive: true, mode: 0o700 });
        for (let d = parent; d !== staging && !dirs.has(d); d = dirname(d)) dirs.add(d);
      }
      const file = await open(target, 'wx', 0o600);
      try {
        await file.writeFile(bytes);
        await file.sync();
      } finally {
        await file.close();
      }
    }
    target = staging;
    // Deepest first, so each directory's entries are durable before its parent's.
    for (const dir of [...dirs].sort((a, b) => b.length - a.length)) {
      target = dir;
      await syncDirectory(dir);
    }
  } catch (error) {
    await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    throw fsError(error, { doing: 'installing into', path: target, plugin });
  }
  return staging;
}
