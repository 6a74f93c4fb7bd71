import { crc32 } from 'node:zlib';
import { corruptIndex } from './indexErrors.js';
import { FRAME_MAGIC, LAYOUT_RAW } from './indexFrame.js';

/** Bytes of a raw header before any padding: the common fields (0..48) and the kind's own (48..64). */
const RAW_HEADER_BYTES = 64;
/** Offset of the first kind-specific header field. */
export const RAW_FIELDS_AT = 48;
/** Largest kind name the raw layout holds (ASCII, NUL-padded). */
const KIND_BYTES = 16;
const KIND_AT = 16;
const FORMAT_VERSION_AT = 32;
const RESERVED_AT = 36;
const DATA_LENGTH_AT = 40;
/** The header CRC-32 covers everything after itself: bytes 12 .. header length. */
const CHECKED_FROM = 12;
/** Data of at least this many bytes starts at a page (4096-byte) boundary of the persisted bytes. */
const PAGE_ALIGN_FROM = 64 * 1024;
const PAGE = 4096;

/** The validated common part of a raw index header. */
export interface RawHeader {
  /** Kind-specific fields are read from this view (offsets {@link RAW_FIELDS_AT} .. 64). */
  readonly view: DataView;
  readonly formatVersion: number;
  /** Where the data starts (the header, padding included). */
  readonly headerLength: number;
  readonly dataLength: number;
}

/**
 * Header length for `dataLength` bytes of data: {@link RAW_HEADER_BYTES}, or a full page when the
 * data is 64 KiB or more, so the data starts at a page boundary of the output and its copy runs at
 * plain memcpy speed (the source buffer is page aligned too).
 */
function rawHeaderLength(dataLength: number): number {
  return dataLength >= PAGE_ALIGN_FROM ? PAGE : RAW_HEADER_BYTES;
}

/**
 * Allocates the persisted bytes of a raw index (frame layout 2) and fills its header.
 *
 * Layout (little-endian): `BTIX` magic (4) · frame layout u32 = 2 (4) · CRC-32 of bytes 12 .. header
 * length (4) · header length u32 (4) · kind, ASCII, NUL-padded (16) · format version u32 (4) · data
 * length u32 (4) · kind-specific fields (24, written by `fill`) · zero padding to the header length ·
 * the data (`dataLength` bytes, written by the caller into the returned array at `headerLength`).
 * Nothing follows the data. The data carries its own checksum in a kind-specific field, so
 * persisting costs one pass (the copy) and the header is cheap to check before anything is trusted.
 */
export function writeRawIndex(
  kind: string,
  formatVersion: number,
  dataLength: number,
  fill: (view: DataView) => void,
): { readonly bytes: Uint8Array; readonly headerLength: number } {
  if (kind.length > KIND_BYTES || !/^[\x21-\x7e]+$/.test(kind))
    throw new RangeError(`a raw index kind must be 1..${KIND_BYTES} ASCII characters: '${kind}'`);
  if (!Number.isSafeInteger(dataLength) || dataLength < 0)
    throw new RangeError(`raw index data length must be a safe integer >= 0 (got ${dataLength})`);
  const headerLength = rawHeaderLength(dataLength);
  const bytes = new Uint8Array(headerLength + dataLength);
  bytes.set(FRAME_MAGIC, 0);
  for (let i = 0; i < kind.length; i++) bytes[KIND_AT + i] = kind.charCodeAt(i);
  const view = new DataView(bytes.buffer, bytes.byteOffset, RAW_HEADER_BYTES);
  view.setUint32(4, LAYOUT_RAW, true);
  view.setUint32(12, headerLength, true);
  view.setUint32(FORMAT_VERSION_AT, formatVersion, true);
  view.setBigUint64(DATA_LENGTH_AT, BigInt(dataLength), true);
  fill(view);
  view.setUint32(8, crc32(bytes.subarray(CHECKED_FROM, headerLength)), true);
  return { bytes, headerLength };
}

/** The kind name a raw header holds (bytes up to the first NUL), as written. */
function kindOf(bytes: Uint8Array): string {
  let end = KIND_AT;
  while (end < KIND_AT + KIND_BYTES && bytes[end] !== 0) end++;
  return String.fromCharCode(...bytes.subarray(KIND_AT, end));
}

/**
 * Checks the raw header of `bytes` (frame layout 2; the caller checked the magic and the layout):
 * header length, CRC-32, that `kind` wrote it, that its format version is one `versions` lists, and
 * that the data exactly fills the rest of `bytes`. Every problem is a `CORRUPT_INPUT` error.
 */
export function readRawHeader(bytes: Uint8Array, kind: string, versions: readonly number[]): RawHeader {
  if (bytes.byteLength < RAW_HEADER_BYTES)
    throw corruptIndex(kind, `${bytes.byteLength} bytes is shorter than the index header (truncated?)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, RAW_HEADER_BYTES);
  const headerLength = view.getUint32(12, true);
  if (headerLength !== RAW_HEADER_BYTES && headerLength !== PAGE)
    throw corruptIndex(kind, `bad header length ${headerLength}`);
  if (headerLength > bytes.byteLength)
    throw corruptIndex(kind, `${bytes.byteLength} bytes is shorter than the ${headerLength}-byte header (truncated?)`);
  if (crc32(bytes.subarray(CHECKED_FROM, headerLength)) !== view.getUint32(8, true))
    throw corruptIndex(kind, 'header checksum mismatch (corrupt or truncated bytes)');
  const written = kindOf(bytes);
  if (written !== kind) throw corruptIndex(kind, `these bytes hold a '${written}' index`);
  const formatVersion = view.getUint32(FORMAT_VERSION_AT, true);
  if (!versions.includes(formatVersion))
    throw corruptIndex(kind, `unknown format version ${formatVersion} (this reader knows ${versions.join(', ')})`);
  if (view.getUint32(RESERVED_AT, true) !== 0) throw corruptIndex(kind, 'reserved header bytes are not zero');
  const dataLength = Number(view.getBigUint64(DATA_LENGTH_AT, true));
  if (headerLength !== rawHeaderLength(dataLength))
    throw corruptIndex(kind, `header length ${headerLength} does not match ${dataLength} bytes of data`);
  const actual = bytes.byteLength - headerLength;
  if (actual !== dataLength)
    throw corruptIndex(
      kind,
      actual < dataLength
        ? `${actual} bytes of data, the header says ${dataLength} (truncated?)`
        : `${actual - dataLength} unexpected bytes after the data`,
    );
  return { view, formatVersion, headerLength, dataLength };
}
