import { constants } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { crc32 } from 'node:zlib';
import { ReloadError } from '../errors/reloadError.js';
import {
  checkBytesArg,
  checkErrorContextArg,
  checkIntegerOption,
  checkOptionsArg,
  checkPathArg,
  checkStringArg,
} from './durableArgs.js';
import { ioFailed } from './ioError.js';
import type { IoErrorContext } from './ioError.js';
import { openRegularFileIfExists } from './regularFile.js';
import { tempFileFor } from './tempFiles.js';

/** Options of {@link writeFileAtomic}. */
export interface AtomicWriteOptions {
  /** File mode of a new file (default 0o600). */
  readonly mode?: number;
  /** Phase, surface kind and key reported on an `IO_FAILED` error (default phase `call`). */
  readonly errorContext?: IoErrorContext;
}

/**
 * Writes `data` to `path` so that a crash leaves either the old file or the new one, never a torn
 * mix: write a temporary file beside it (`.<name>.<pid>.<random>.tmp`), fsync it, rename it over
 * `path`, then fsync the directory so the rename itself is durable.
 *
 * A failing step (`ENOSPC`, `EACCES`, `EISDIR`, …) rejects with `IO_FAILED` naming the step, `path`
 * and the system error (the `cause`); the temp file is removed and `path` keeps its old content.
 * A temp file left by a killed process is removed by `removeStaleTempFiles`. A wrong-typed argument
 * or an unknown option is `INVALID_ARGUMENT`.
 */
export async function writeFileAtomic(path: string, data: Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  checkWriteArgs('writeFileAtomic', path, data, options);
  await writeAtomic(path, data, options);
}

const WRITE_OPTIONS = ['mode', 'errorContext'] as const;

function checkWriteArgs(name: string, path: unknown, data: unknown, options: unknown): void {
  checkPathArg(`${name}: path`, path);
  checkBytesArg(`${name}: data`, data);
  const { mode, errorContext } = checkOptionsArg<AtomicWriteOptions>(`${name} options`, options, WRITE_OPTIONS);
  checkIntegerOption(`${name}: mode`, mode, 0, 0o7777);
  checkErrorContextArg(`${name}: errorContext`, errorContext);
}

async function writeAtomic(path: string, data: Uint8Array, options: AtomicWriteOptions): Promise<void> {
  const context = options.errorContext ?? {};
  const { temp, done } = tempFileFor(path);
  const fail = (step: string, error: unknown): ReloadError =>
    ioFailed(`atomic write of`, path, error, { ...context, step }).with({ details: { temp, failedStep: step } });
  try {
    let file;
    try {
      file = await open(temp, 'wx', options.mode ?? 0o600);
    } catch (error) {
      throw fail('create temp file', error);
    }
    try {
      await file.writeFile(data);
      await file.sync();
    } catch (error) {
      await file.close().catch(() => undefined);
      await rm(temp, { force: true }).catch(() => undefined);
      throw fail('write temp file', error);
    }
    try {
      await file.close();
      await rename(temp, path);
    } catch (error) {
      await rm(temp, { force: true }).catch(() => undefined);
      throw fail('rename temp file', error);
    }
  } finally {
    done();
  }
  await syncDirectory(dirname(path));
}

/** fsyncs a directory so renames and creations inside it survive a crash (no-op where unsupported or not a directory). */
export async function syncDirectory(dir: string): Promise<void> {
  checkPathArg('syncDirectory: dir', dir);
  let handle;
  try {
    // Never blocks (a FIFO planted there) and opens nothing but a directory.
    handle = await open(dir, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_DIRECTORY ?? 0));
    await handle.sync();
  } catch {
    // Some platforms cannot fsync a directory; the rename is then as durable as the OS makes it.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

const FRAME_MAGIC = 0x4e_46_54_42; // "BTFN" little-endian
/** 16 bytes, so the payload of a frame read into an aligned buffer stays 8-byte aligned. */
const FRAME_HEADER = 16;

/**
 * Frames `payload` with a magic number, its length and a CRC-32 (16-byte header, the last 4 bytes
 * reserved), so torn or corrupt files are detected.
 */
export function frameChecked(payload: Uint8Array): Uint8Array {
  checkBytesArg('frameChecked: payload', payload);
  if (payload.byteLength > 0xffff_ffff)
    throw new ReloadError({
      code: 'INVALID_ARGUMENT',
      phase: 'call',
      message: `frameChecked: a payload of ${payload.byteLength} bytes exceeds the 4 GiB a frame can hold`,
    });
  const out = new Uint8Array(FRAME_HEADER + payload.byteLength);
  const view = new DataView(out.buffer);
  view.setUint32(0, FRAME_MAGIC, true);
  view.setUint32(4, payload.byteLength, true);
  view.setUint32(8, payload.byteLength === 0 ? 0 : crc32(payload), true);
  out.set(payload, FRAME_HEADER);
  return out;
}

/**
 * Reads a frame made by {@link frameChecked}; throws `CORRUPT_INPUT` saying what is wrong, and
 * `INVALID_ARGUMENT` when `bytes` is not a `Uint8Array`.
 */
export function unframeChecked(bytes: Uint8Array, what = 'framed data'): Uint8Array {
  checkBytesArg('unframeChecked: bytes', bytes);
  checkStringArg('unframeChecked: what', what);
  const corrupt = (reason: string): ReloadError =>
    new ReloadError({ code: 'CORRUPT_INPUT', phase: 'decode', message: `${what}: ${reason}` });
  if (bytes.byteLength < FRAME_HEADER) throw corrupt(`${bytes.byteLength} bytes is shorter than a frame header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== FRAME_MAGIC) throw corrupt('bad magic number (not a Baton checked file)');
  const length = view.getUint32(4, true);
  if (length !== bytes.byteLength - FRAME_HEADER)
    throw corrupt(`length says ${length} bytes but ${bytes.byteLength - FRAME_HEADER} follow (torn write?)`);
  const payload = bytes.subarray(FRAME_HEADER);
  if ((payload.byteLength === 0 ? 0 : crc32(payload)) !== view.getUint32(8, true) || view.getUint32(12, true) !== 0)
    throw corrupt('checksum mismatch (corrupt data)');
  return payload;
}

/** Writes `payload` atomically with a checksum frame (see {@link readChecked}). */
export async function writeChecked(path: string, payload: Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  checkWriteArgs('writeChecked', path, payload, options);
  await writeAtomic(path, frameChecked(payload), options);
}

const READ_OPTIONS = ['maxBytes', 'errorContext'] as const;

/** Options of {@link readChecked}. */
export interface ReadCheckedOptions {
  /** Refuse files larger than this many bytes before reading them (default 256 MiB). */
  readonly maxBytes?: number;
  /** Phase, surface kind and key reported on an `IO_FAILED` error (default phase `decode`). */
  readonly errorContext?: IoErrorContext;
}

/**
 * Reads a file written by {@link writeChecked}. Resolves `undefined` when it does not exist; rejects
 * with `CORRUPT_INPUT` when it is too large, torn or corrupt, and with `IO_FAILED` (naming the path,
 * the system error as `cause`) when it cannot be read (`EISDIR`, `EACCES`, …) or is not a regular
 * file: it is opened without blocking and without following a symbolic link, and a FIFO, socket,
 * device or link planted at `path` is refused before anything is read (see `openRegularFile`). At
 * most `maxBytes` plus the frame header are read, even if the file grows while it is read.
 */
export async function readChecked(path: string, options: ReadCheckedOptions = {}): Promise<Uint8Array | undefined> {
  checkPathArg('readChecked: path', path);
  const checked = checkOptionsArg<ReadCheckedOptions>('readChecked options', options, READ_OPTIONS);
  checkIntegerOption('readChecked: maxBytes', checked.maxBytes, 0);
  const maxBytes = checked.maxBytes ?? 256 * 1024 * 1024;
  const context: IoErrorContext = {
    phase: 'decode',
    ...checkErrorContextArg('readChecked: errorContext', checked.errorContext),
  };
  const tooLarge = (size: number | string): ReloadError =>
    new ReloadError({
      code: 'CORRUPT_INPUT',
      phase: 'decode',
      ...(context.kind === undefined ? {} : { kind: context.kind }),
      ...(context.key === undefined ? {} : { key: context.key }),
      message: `${path}: ${size} bytes exceeds the limit of ${maxBytes}`,
    });
  const opened = await openRegularFileIfExists(path, { errorContext: context });
  if (opened === undefined) return undefined;
  const { handle, size } = opened;
  try {
    const limit = maxBytes + FRAME_HEADER;
    let bytes: Uint8Array;
    try {
      if (!Number.isSafeInteger(size) || size > limit) throw tooLarge(size);
      // One byte more than the limit: a file that grew since stat is still refused, never read whole.
      bytes = new Uint8Array(Math.min(size, limit) + 1);
      let filled = 0;
      for (;;) {
        const { bytesRead } = await handle.read(bytes, filled, bytes.byteLength - filled, filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
        if (filled === bytes.byteLength) break;
      }
      if (filled > limit) throw tooLarge(`more than ${limit}`);
      bytes = bytes.subarray(0, filled);
    } catch (error) {
      throw error instanceof ReloadError ? error : ioFailed('read', path, error, context);
    }
    return unframeChecked(bytes, path);
  } finally {
    await handle.close().catch(() => undefined);
  }
}
