import { closeSync, constants, fstatSync, openSync, readSync, unlinkSync } from 'node:fs';
import { link, readdir, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { ReloadError } from '@baton/core';
import { errnoCode, ioFailed, openRegularFileIfExists, removeStaleTempFiles, tempFileFor } from '@baton/core/durable';
import { decodeLockOwner, describeOwner, encodeLockOwner, ownerState } from './lockOwner.js';
import type { LockOwner, OwnerState } from './lockOwner.js';

/**
 * An exclusive lock file between processes, without `flock` (Node has none): the file exists while
 * a process holds the lock and holds its {@link LockOwner} record.
 *
 * - **Take**: the record is written to a temp file, then hard-linked to the lock path. `link`
 *   fails if the path exists, atomically, and a reader never sees a half-written record. (On a
 *   file system without hard links the record is written in place with `O_EXCL`; readers give an
 *   empty record a moment before they call it unreadable.)
 * - **Held by a live process** (or one on another host, which cannot be checked): `LOCKED`.
 * - **Held by a dead process**: the taker first creates the ticket `<lock>.takeover-<token of the
 *   dead holding>` the same way. Only the ticket's creator may delete the lock file, and only while
 *   the file still holds that dead token, so among processes racing for one stale lock exactly one
 *   removes it and exactly one `link` of a new record then succeeds; the others see a live holder.
 *   A ticket whose creator died is itself taken over the same way (a bounded recursion).
 */
export interface LockFileOptions {
  /** Surface key for errors. */
  readonly key: string;
  /** What the lock protects, for messages (e.g. `the sink in /data/cdc`). */
  readonly what: string;
  /** Liveness of a holder (default {@link ownerState}); tests pass their own. */
  readonly stateOf?: (owner: LockOwner) => Promise<OwnerState>;
  /** Attempts before giving up on a contended lock (default 20). */
  readonly attempts?: number;
  /**
   * `false`: write records in place with `O_EXCL`, as on a file system without hard links (default:
   * hard-link a complete record, falling back to that when `link` is not supported).
   */
  readonly hardLinks?: boolean;
}

const MAX_TAKEOVER_DEPTH = 4;

type Read = LockOwner | 'missing' | 'malformed';

/**
 * The record in the lock file at `path`. The file is opened without blocking or following a link
 * and must be a regular file: a FIFO, a directory, a symbolic link (dangling or not) planted there
 * is `IO_FAILED` saying what it is, never an open that hangs or a lock reported as contended.
 */
async function readOwner(path: string, key: string): Promise<Read> {
  const opened = await openRegularFileIfExists(path, {
    operation: 'open lock file',
    errorContext: { kind: 'cdcOutput', key, step: 'start', prefix: `CDC '${key}': ` },
  });
  if (opened === undefined) return 'missing';
  const { handle } = opened;
  try {
    const buffer = new Uint8Array(2048); // a record is at most 1 KiB: never read more
    const { bytesRead } = await handle.read(buffer, 0, buffer.byteLength, 0);
    return decodeLockOwner(new TextDecoder().decode(buffer.subarray(0, bytesRead))) ?? 'malformed';
  } catch (error) {
    throw ioFailed('read lock file', path, error, { kind: 'cdcOutput', key, step: 'start' });
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** Errors of a file system that has no hard links (then the record is written in place). */
const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV']);

/** Creates `path` holding `owner`'s record if it does not exist; false if it does. */
async function createExclusive(path: string, owner: LockOwner, key: string, hardLinks = true): Promise<boolean> {
  const { temp, done } = tempFileFor(path);
  const fail = (error: unknown): ReloadError =>
    ioFailed('create lock file', path, error, { kind: 'cdcOutput', key, step: 'start' });
  try {
    if (!hardLinks) throw Object.assign(new Error('hard links not used'), { code: 'ENOTSUP' });
    await writeFile(temp, encodeLockOwner(owner), { flag: 'wx', mode: 0o644 });
    await link(temp, path);
    return true;
  } catch (error) {
    if (errnoCode(error) === 'EEXIST') return false;
    if (!NO_LINKS.has(errnoCode(error) ?? '')) throw fail(error);
    // No hard links here: O_EXCL create, then the record (a reader may see it empty for a moment).
    try {
      await writeFile(path, encodeLockOwner(owner), { flag: 'wx', mode: 0o644 });
      return true;
    } catch (inPlace) {
      if (errnoCode(inPlace) === 'EEXIST') return false;
      throw fail(inPlace);
    }
  } finally {
    await unlink(temp).catch(() => undefined);
    done();
  }
}

/** Reads the holder of `path`, giving a record being written in place (no hard links) a moment to appear. */
async function readHolder(path: string, key: string): Promise<Read> {
  let holder = await readOwner(path, key);
  for (let wait = 1; holder === 'malformed' && wait <= 64; wait *= 4) {
    await delay(wait);
    holder = await readOwner(path, key);
  }
  return holder;
}

async function removeIfHeldBy(path: string, token: string, key: string): Promise<void> {
  const current = await readOwner(path, key);
  if (typeof current === 'object' && current.token === token) {
    await unlink(path).catch((error: unknown) => {
      if (errnoCode(error) !== 'ENOENT') throw ioFailed('remove lock file', path, error, { kind: 'cdcOutput', key });
    });
  }
}

function locked(options: LockFileOptions, path: string, message: string, holder?: LockOwner): ReloadError {
  return new ReloadError({
    code: 'LOCKED',
    phase: 'call',
    kind: 'cdcOutput',
    key: options.key,
    step: 'start',
    message: `CDC '${options.key}': ${options.what} ${message} (lock file ${path})`,
    details: {
      lockFile: path,
      ...(holder ? { holder: { pid: holder.pid, host: holder.host, since: holder.since } } : {}),
    },
  });
}

function refuse(options: LockFileOptions, path: string, holder: Read, state?: OwnerState): ReloadError {
  if (holder === 'malformed' || holder === 'missing')
    return locked(options, path, 'is locked by an unreadable lock file; remove it if no process uses the sink');
  if (state === 'unknown') {
    return locked(
      options,
      path,
      `is locked by ${describeOwner(holder)}, which cannot be checked from host ${hostname()}; if that process is gone, remove the lock file`,
      holder,
    );
  }
  return locked(options, path, `is locked by ${describeOwner(holder)}`, holder);
}

/** Removes the lock file at `path` held by the dead `stale` holder, unless someone else did (see {@link LockFileOptions}). */
async function removeStale(
  path: string,
  stale: LockOwner,
  me: LockOwner,
  options: LockFileOptions,
  depth: number,
): Promise<void> {
  const stateOf = options.stateOf ?? ownerState;
  const ticket = `${path}.takeover-${stale.token}`;
  for (let attempt = 0; attempt < (options.attempts ?? 20); attempt++) {
    if (await createExclusive(ticket, me, options.key, options.hardLinks)) {
      try {
        await removeIfHeldBy(path, stale.token, options.key); // the ticket makes this check-then-remove exclusive
      } finally {
        await unlink(ticket).catch(() => undefined);
      }
      return;
    }
    const current = await readOwner(path, options.key);
    if (typeof current !== 'object' || current.token !== stale.token) return; // another taker finished
    const taker = await readHolder(ticket, options.key);
    if (taker === 'missing') continue;
    if (taker === 'malformed') throw refuse(options, ticket, taker);
    const state = await stateOf(taker);
    if (state === 'dead') {
      if (depth >= MAX_TAKEOVER_DEPTH) throw refuse(options, ticket, taker, state);
      await removeStale(ticket, taker, me, options, depth + 1);
      continue;
    }
    await delay(2 ** Math.min(attempt, 6)); // a live taker finishes within milliseconds
  }
  throw locked(options, path, 'is being taken over by another process');
}

/**
 * Takes the lock at `path` for `me`: resolves once held, rejects with `LOCKED` naming the holder
 * (pid, host, since when) when another live process (or one on another host) holds it, and with
 * `IO_FAILED` when the file system fails. A lock left by a dead process is taken over.
 */
export async function acquireLockFile(path: string, me: LockOwner, options: LockFileOptions): Promise<void> {
  const stateOf = options.stateOf ?? ownerState;
  const attempts = options.attempts ?? 20;
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (await createExclusive(path, me, options.key, options.hardLinks)) {
      await removeLeftovers(path, me, options.key);
      return;
    }
    const holder = await readHolder(path, options.key);
    if (holder === 'missing') continue; // released meanwhile
    if (holder === 'malformed') throw refuse(options, path, holder);
    const state = await stateOf(holder);
    if (state !== 'dead') throw refuse(options, path, holder, state);
    await removeStale(path, holder, me, options, 0);
  }
  throw locked(options, path, `could not be locked after ${attempts} attempts (contended)`);
}

/**
 * Once `me` holds the lock: removes what takers killed mid-protocol left beside it. A takeover
 * ticket only matters while the lock file holds the token it names, so every ticket naming another
 * token is obsolete (a taker still working on one finds the lock taken and gives up); temp files
 * of dead writers go as everywhere (`removeStaleTempFiles`).
 */
async function removeLeftovers(path: string, me: LockOwner, key: string): Promise<void> {
  const dir = dirname(path);
  const tickets = `${basename(path)}.takeover-`;
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    if (name.startsWith(tickets) && !name.startsWith(`${tickets}${me.token}`))
      await unlink(join(dir, name)).catch(() => undefined);
  }
  await removeStaleTempFiles(path, { kind: 'cdcOutput', key, step: 'start' });
}

/** Gives the lock at `path` up if `me` holds it (a lock someone else holds is left alone). */
export async function releaseLockFile(path: string, me: LockOwner, key: string): Promise<void> {
  await removeIfHeldBy(path, me.token, key);
}

/**
 * {@link releaseLockFile}, synchronously (for `process.on('exit')`); errors are ignored. The file is
 * opened without blocking or following a link, and only a regular file is read.
 */
export function releaseLockFileSync(path: string, me: LockOwner): void {
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOFOLLOW ?? 0));
    if (!fstatSync(fd).isFile()) return;
    const buffer = new Uint8Array(2048);
    const bytesRead = readSync(fd, buffer, 0, buffer.byteLength, 0);
    if (decodeLockOwner(new TextDecoder().decode(buffer.subarray(0, bytesRead)))?.token === me.token) unlinkSync(path);
  } catch {
    // The process is exiting; a lock left behind is taken over as stale by the next process.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
