import { randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { checkErrorContextArg, checkPathArg } from './durableArgs.js';
import { errnoCode, ioFailed, withIo } from './ioError.js';
import type { IoErrorContext } from './ioError.js';

/**
 * Temporary files of atomic writes: `.<name>.<pid>.<12 hex digits>.tmp` beside the file `name`
 * they replace. A write killed between creating its temp file and renaming it leaves one behind;
 * {@link removeStaleTempFiles} removes those of writers that no longer run.
 *
 * The temp files this process is writing are kept in a registry on `globalThis` (under a
 * `Symbol.for` key), so every copy of this module in the process knows them.
 */
const IN_FLIGHT = Symbol.for('@baton/core.atomicFile.inFlight');

function inFlight(): Set<string> {
  const holder = globalThis as { [IN_FLIGHT]?: Set<string> };
  holder[IN_FLIGHT] ??= new Set<string>();
  return holder[IN_FLIGHT];
}

/**
 * A fresh temp file path beside `path` (`.<name>.<pid>.<12 hex>.tmp`), registered as in flight in
 * this process until `done` is called, so {@link removeStaleTempFiles} leaves it alone meanwhile.
 */
export function tempFileFor(path: string): { readonly temp: string; readonly done: () => void } {
  checkPathArg('tempFileFor: path', path);
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  inFlight().add(temp);
  return { temp, done: () => void inFlight().delete(temp) };
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** True when a process with this id runs on this host (or exists but belongs to another user). */
function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoCode(error) === 'EPERM';
  }
}

/**
 * Removes the temp files that interrupted atomic writes of `path` left in its directory, and
 * returns their paths. Only names of the exact pattern {@link tempFileFor} makes for `path` are
 * considered, and of those only files whose writer does not run: another process id that is not
 * alive, or this process's id when this process is not writing that file (a previous process that
 * had the same id). Nothing else in the directory is touched. A missing directory is no temp file.
 *
 * The process check is local: on a directory shared between hosts, call it only where no other
 * host writes the same file.
 */
export async function removeStaleTempFiles(path: string, context: IoErrorContext = {}): Promise<string[]> {
  checkPathArg('removeStaleTempFiles: path', path);
  checkErrorContextArg('removeStaleTempFiles: context', context);
  const dir = dirname(path);
  const pattern = new RegExp(`^\\.${escapeRegExp(basename(path))}\\.(\\d{1,10})\\.[0-9a-f]{12}\\.tmp$`);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return [];
    throw ioFailed('list', dir, error, context);
  }
  const removed: string[] = [];
  const writing = inFlight();
  for (const name of names) {
    const match = pattern.exec(name);
    if (!match) continue;
    const pid = Number(match[1]);
    const temp = join(dir, name);
    const stale = pid === process.pid ? !writing.has(temp) : !processRuns(pid);
    if (!stale) continue;
    await withIo('remove stale temp file', temp, () => rm(temp, { force: true }), context);
    removed.push(temp);
  }
  return removed;
}
