import { constants } from 'node:fs';
import type { Stats } from 'node:fs';
import { lstat, open, readlink, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import {
  checkErrorContextArg,
  checkIntegerOption,
  checkOptionsArg,
  checkPathArg,
  checkStringArg,
} from './durableArgs.js';
import { errnoCode, ioFailed } from './ioError.js';
import type { IoErrorContext } from './ioError.js';

/** Options of {@link openRegularFile}. */
export interface OpenRegularFileOptions {
  /** `open(2)` flags (default `O_RDONLY`); `O_NONBLOCK` and `O_NOFOLLOW` are always added. */
  readonly flags?: number;
  /** Mode of a file `O_CREAT` creates (default 0o600). */
  readonly mode?: number;
  /** Verb of the error message (default `open`). */
  readonly operation?: string;
  /** Phase, surface kind and key reported on an `IO_FAILED` error. */
  readonly errorContext?: IoErrorContext;
}

/** A state file opened by {@link openRegularFile}, with its size when it was opened. */
export interface OpenedRegularFile {
  readonly handle: FileHandle;
  readonly size: number;
}

const OPTIONS = ['flags', 'mode', 'operation', 'errorContext'] as const;

/** Flags that make an open return at once and refuse a symbolic link (0 where the platform has none). */
const SAFE_FLAGS = (constants.O_NONBLOCK ?? 0) | (constants.O_NOFOLLOW ?? 0);

/** What a file that is not a regular file is, for messages. */
function describeType(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

/** The `cause` of a refusal that is not a system error of its own: a message and a system-like code. */
function refusal(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/**
 * Opens a state file (a checkpoint, a snapshot slot, a lock file, a sink) the safe way: without
 * blocking and without following a symbolic link at the last component (`O_NONBLOCK | O_NOFOLLOW`),
 * then checks with `fstat` that what was opened is a regular file, before anything is read or
 * written. A FIFO, a socket, a device, a directory or a symbolic link planted at `path` is refused
 * with `IO_FAILED` naming the path and what is there (a dangling link says so), instead of an open
 * or a read that never returns and holds a thread of libuv's pool. `O_NONBLOCK` has no effect on
 * reads and writes of a regular file.
 *
 * Rejects with `IO_FAILED` (the system error as `cause`, its code in `details.errno`; `ENOENT` when
 * the file does not exist and `O_CREAT` was not given). A wrong-typed argument or an unknown option
 * is `INVALID_ARGUMENT`.
 */
export async function openRegularFile(path: string, options: OpenRegularFileOptions = {}): Promise<OpenedRegularFile> {
  checkPathArg('openRegularFile: path', path);
  options = checkOptionsArg<OpenRegularFileOptions>('openRegularFile options', options, OPTIONS);
  checkIntegerOption('openRegularFile: flags', options.flags, 0);
  checkIntegerOption('openRegularFile: mode', options.mode, 0, 0o7777);
  if (options.operation !== undefined) checkStringArg('openRegularFile: operation', options.operation);
  checkErrorContextArg('openRegularFile: errorContext', options.errorContext);
  const operation = options.operation ?? 'open';
  const context = options.errorContext ?? {};
  let handle: FileHandle;
  try {
    handle = await open(path, (options.flags ?? constants.O_RDONLY) | SAFE_FLAGS, options.mode ?? 0o600);
  } catch (error) {
    throw ioFailed(operation, path, await explain(path, error), context);
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) {
      const code = stats.isDirectory() ? 'EISDIR' : 'EINVAL';
      throw refusal(`${path} is ${describeType(stats)}, not a regular file`, code);
    }
    return { handle, size: stats.size };
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw ioFailed(operation, path, error, context);
  }
}

/**
 * The cause of a failed open: when something other than a regular file is at `path` (a symbolic link
 * `O_NOFOLLOW` refused with `ELOOP`, a socket refused with `ENXIO`, …), an error saying what it is,
 * with the system error as its cause; else the system error.
 */
async function explain(path: string, error: unknown): Promise<unknown> {
  if (errnoCode(error) === 'ENOENT') return error;
  const stats = await lstat(path).catch(() => undefined);
  if (stats === undefined || stats.isFile()) return error;
  let what = describeType(stats);
  if (stats.isSymbolicLink()) {
    const target = await readlink(path).catch(() => undefined);
    what = target === undefined ? 'a symbolic link' : `a symbolic link to ${target}${await dangling(path)}`;
  }
  const reason = stats.isSymbolicLink() ? 'state files are never followed through links' : 'not a regular file';
  return Object.assign(refusal(`${path} is ${what}; ${reason}`, errnoCode(error) ?? 'EINVAL'), { cause: error });
}

/** `' (dangling)'` when the link at `path` points at nothing. */
async function dangling(path: string): Promise<string> {
  try {
    await stat(path);
    return '';
  } catch (error) {
    return errnoCode(error) === 'ENOENT' ? ' (dangling)' : '';
  }
}

/**
 * {@link openRegularFile}, resolving `undefined` when nothing exists at `path` (a dangling symbolic
 * link is not nothing: it is refused).
 */
export async function openRegularFileIfExists(
  path: string,
  options: OpenRegularFileOptions = {},
): Promise<OpenedRegularFile | undefined> {
  try {
    return await openRegularFile(path, options);
  } catch (error) {
    if (errnoCode((error as { cause?: unknown }).cause) === 'ENOENT') return undefined;
    throw error;
  }
}
