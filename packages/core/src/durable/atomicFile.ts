import { randomBytes } from 'node:crypto';
import { open, rename, rm, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import { ReloadError } from '../errors/reloadError.js';

/** Options of {@link writeFileAtomic}. */
export interface AtomicWriteOptions {
  /** File mode of a new file (default 0o600). */
  readonly mode?: number;
}

/**
 * Writes `data` to `path` so that a crash leaves either the old file or the new one, never a torn
 * mix: write a temporary file beside it, fsync it, rename it over `path`, then fsync the directory
 * so the rename itself is durable.
 */
export async function writeFileAtomic(path: string, data: Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const file = await open(temp, 'w', options.mode ?? 0o600);
  try {
    await file.writeFile(data);
    await file.sync();
  } catch (error) {
    await file.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw error;
  }
  await file.close();
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncDirectory(dir);
}

/** fsyncs a directory so renames and creations inside it survive a crash (no-op where unsupported). */
export async function syncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
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
  const out = new Uint8Array(FRAME_HEADER + payload.byteLength);
  const view = new DataView(out.buffer);
  view.setUint32(0, FRAME_MAGIC, true);
  view.setUint32(4, payload.byteLength, true);
  view.setUint32(8, payload.byteLength === 0 ? 0 : crc32(payload), true);
  out.set(payload, FRAME_HEADER);
  return out;
}

/** Reads a frame made by {@link frameChecked}; throws `CORRUPT_INPUT` saying what is wrong. */
export function unframeChecked(bytes: Uint8Array, what = 'framed data'): Uint8Array {
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
  await writeFileAtomic(path, frameChecked(payload), options);
}

/** Options of {@link readChecked}. */
export interface ReadCheckedOptions {
  /** Refuse files larger than this many bytes before reading them (default 256 MiB). */
  readonly maxBytes?: number;
}

/**
 * Reads a file written by {@link writeChecked}. Resolves `undefined` when it does not exist; rejects
 * with `CORRUPT_INPUT` when it is too large, torn or corrupt.
 */
export async function readChecked(path: string, options: ReadCheckedOptions = {}): Promise<Uint8Array | undefined> {
  const maxBytes = options.maxBytes ?? 256 * 1024 * 1024;
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (size > maxBytes + FRAME_HEADER) {
    throw new ReloadError({
      code: 'CORRUPT_INPUT',
      phase: 'decode',
      message: `${path}: ${size} bytes exceeds the limit of ${maxBytes}`,
    });
  }
  return unframeChecked(new Uint8Array(await readFile(path)), path);
}
