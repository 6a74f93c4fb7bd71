import { crc32 } from 'node:zlib';
import { isReloadError } from '@baton/core';
import { RecordBatchReader } from 'apache-arrow';
import type { RecordBatch, Schema } from 'apache-arrow';
import { checkArrowFile } from './arrowFileCheck.js';
import { corruptIndex } from './indexErrors.js';
import { frameLayout, LAYOUT_RAW, openFrame } from './indexFrame.js';
import { readRawHeader } from './rawIndexFile.js';

/** Schema-metadata key holding the index kind that wrote the file. */
export const META_KIND = 'baton.index.kind';
/** Schema-metadata key holding the kind's format version (a decimal integer). */
export const META_FORMAT_VERSION = 'baton.index.formatVersion';
/** Schema-metadata key holding the number of indexed rows (a decimal integer). */
export const META_ROWS = 'baton.index.rows';
/** Schema-metadata key holding the CRC-32 of the index's data buffers (a decimal integer). */
export const META_CRC32 = 'baton.index.crc32';

/** Bytes allowed on top of an index's data limit for the Arrow framing and metadata. */
const FRAMING_ALLOWANCE = 1024 * 1024;
/** "ARROW1": the magic an Arrow IPC file starts (padded to 8) and ends with. */
const ARROW_MAGIC = [0x41, 0x52, 0x52, 0x4f, 0x57, 0x31] as const;
/** Leading magic + padding (8), footer length (4), trailing magic (6). */
const MIN_FILE_BYTES = 18;

/** What {@link readIndexFile} checks before handing back the single record batch. */
export interface IndexFileSpec {
  /** The kind the bytes must have been written by. */
  readonly kind: string;
  /** Format versions the reader understands. */
  readonly versions: readonly number[];
  /** Upper bound on the index data; the file may exceed it only by the framing allowance. */
  readonly maxBytes: number;
  /** Alignment (bytes) the typed-array views need; unaligned input is copied once. */
  readonly align: 4 | 8;
}

/** A validated index file: its schema (with metadata), its one record batch and its format version. */
export interface IndexFile {
  readonly schema: Schema;
  readonly batch: RecordBatch;
  readonly formatVersion: number;
}

/**
 * Reads an index written by `writeIndexFile`: checks size, the frame, then the Arrow metadata on the
 * bytes (`checkArrowFile`: declared lengths and row counts against the bytes present, only what an
 * index holds) before Arrow reads or allocates anything, then kind and format version, and that it
 * holds exactly one record batch and no dictionaries. Buffers of the batch are
 * views over `bytes` (zero-copy) when `bytes.byteOffset` is aligned; otherwise `bytes` is copied once.
 * Every failure is a `CORRUPT_INPUT` `ReloadError` naming the kind.
 */
export function readIndexFile(bytes: Uint8Array, spec: IndexFileSpec): IndexFile {
  const { kind } = spec;
  checkIndexSize(bytes, spec.maxBytes, kind);
  if (frameLayout(bytes, kind) === LAYOUT_RAW) {
    readRawHeader(bytes, kind, spec.versions); // names the kind or version; a raw file never opens here
    throw corruptIndex(kind, 'a raw (frame layout 2) index where this reader expects an Arrow IPC file');
  }
  const ipc = openFrame(bytes, kind);
  if (ipc.byteLength < MIN_FILE_BYTES)
    throw corruptIndex(kind, `${ipc.byteLength} bytes is too short for an Arrow IPC file (truncated?)`);
  const end = ipc.byteLength - ARROW_MAGIC.length;
  if (ARROW_MAGIC.some((b, i) => ipc[i] !== b))
    throw corruptIndex(kind, 'bad leading Arrow magic (not an Arrow IPC file)');
  if (ARROW_MAGIC.some((b, i) => ipc[end + i] !== b))
    throw corruptIndex(kind, 'bad trailing Arrow magic (truncated Arrow IPC file?)');
  // Typed-array views need aligned offsets: unaligned input is copied once (after the size check).
  const input = ipc.byteOffset % spec.align === 0 ? ipc : ipc.slice();
  checkArrowFile(input, kind);
  let schema: Schema;
  let batch: RecordBatch | null;
  try {
    const reader = RecordBatchReader.from(input);
    if (!reader.isFile()) throw corruptIndex(kind, 'not an Arrow IPC file');
    reader.open();
    schema = reader.schema;
    checkHeader(schema, spec);
    if (reader.numDictionaries !== 0)
      throw corruptIndex(kind, `unexpected ${reader.numDictionaries} dictionary batches`);
    if (reader.numRecordBatches !== 1)
      throw corruptIndex(kind, `expected 1 record batch, found ${reader.numRecordBatches}`);
    batch = reader.readRecordBatch(0);
  } catch (error) {
    if (isReloadError(error)) throw error;
    throw corruptIndex(kind, 'not a readable Arrow IPC file', error);
  }
  if (batch === null) throw corruptIndex(kind, 'the record batch could not be read');
  return { schema, batch, formatVersion: metaInt(schema, META_FORMAT_VERSION, Number.MAX_SAFE_INTEGER, kind) };
}

/**
 * Checks that `bytes` are bytes and at most `maxBytes` plus the framing allowance, before anything
 * is parsed or allocated for them (`CORRUPT_INPUT` otherwise).
 */
export function checkIndexSize(bytes: Uint8Array, maxBytes: number, kind: string): void {
  if (!(bytes instanceof Uint8Array)) throw corruptIndex(kind, 'expected bytes (a Uint8Array)');
  const limit = maxBytes + FRAMING_ALLOWANCE;
  if (bytes.byteLength > limit) throw corruptIndex(kind, `${bytes.byteLength} bytes exceed the limit of ${limit}`);
}

function checkHeader(schema: Schema, spec: IndexFileSpec): void {
  const written = schema.metadata.get(META_KIND);
  if (written === undefined)
    throw corruptIndex(spec.kind, `no '${META_KIND}' in the schema metadata (not a Baton index file)`);
  if (written !== spec.kind) throw corruptIndex(spec.kind, `these bytes hold a '${written}' index`);
  const version = metaInt(schema, META_FORMAT_VERSION, Number.MAX_SAFE_INTEGER, spec.kind);
  if (!spec.versions.includes(version))
    throw corruptIndex(spec.kind, `unknown format version ${version} (this reader knows ${spec.versions.join(', ')})`);
}

/** Reads a non-negative decimal integer from the schema metadata, at most `max`. */
export function metaInt(schema: Schema, key: string, max: number, kind: string): number {
  const text = schema.metadata.get(key);
  if (text === undefined) throw corruptIndex(kind, `metadata '${key}' is missing`);
  if (!/^(0|[1-9][0-9]{0,15})$/.test(text))
    throw corruptIndex(kind, `metadata '${key}' is not a non-negative integer: ${JSON.stringify(text.slice(0, 40))}`);
  const value = Number(text);
  if (value > max) throw corruptIndex(kind, `metadata '${key}' = ${value} exceeds ${max}`);
  return value;
}

/** Reads a string from the schema metadata (missing → `CORRUPT_INPUT`). */
export function metaString(schema: Schema, key: string, kind: string): string {
  const text = schema.metadata.get(key);
  if (text === undefined) throw corruptIndex(kind, `metadata '${key}' is missing`);
  return text;
}

/**
 * CRC-32 over the bytes of several typed arrays, in order (native zlib, one pass, no copy). Empty
 * views are skipped: Node's `crc32(empty, crc)` returns 0 instead of `crc` when the empty view's
 * backing store has no data pointer.
 */
export function checksum(views: readonly ArrayBufferView[]): number {
  let crc = 0;
  for (const view of views)
    if (view.byteLength > 0) crc = crc32(new Uint8Array(view.buffer, view.byteOffset, view.byteLength), crc);
  return crc;
}

/** Verifies the stored {@link META_CRC32} against the data buffers actually read. */
export function verifyChecksum(schema: Schema, views: readonly ArrayBufferView[], kind: string): number {
  return verifyStoredChecksum(metaInt(schema, META_CRC32, 0xffffffff, kind), views, kind);
}

/** Verifies a stored CRC-32 against the data buffers actually read; returns it. */
export function verifyStoredChecksum(stored: number, views: readonly ArrayBufferView[], kind: string): number {
  const actual = checksum(views);
  if (stored !== actual)
    throw corruptIndex(kind, `checksum mismatch (stored ${stored}, computed ${actual}): corrupt bytes`);
  return actual;
}
