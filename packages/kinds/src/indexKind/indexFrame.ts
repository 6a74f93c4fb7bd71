import { crc32 } from 'node:zlib';
import { corruptIndex } from './indexErrors.js';

/** Smallest frame in front of the Arrow IPC file. */
const MIN_FRAME_BYTES = 32;
/** Bodies at least this large start at a page (4096-byte) boundary of the persisted bytes. */
const PAGE_ALIGN_FROM = 64 * 1024;
/** Largest frame: 32 bytes plus up to 4088 bytes of zero padding, so the body can be page aligned. */
const MAX_FRAME_BYTES = MIN_FRAME_BYTES + 4088;
/** "BTIX": the magic a persisted Baton index starts with. */
export const FRAME_MAGIC = [0x42, 0x54, 0x49, 0x58] as const;
/** Frame layout 1: the frame of {@link fillFrame}, then an Arrow IPC file. */
export const LAYOUT_ARROW_FILE = 1;
/** Frame layout 2: a fixed header naming the kind, then the raw data (see `rawIndexFile.ts`). */
export const LAYOUT_RAW = 2;
/** The checksum covers everything from this frame offset (the fields after the checksum itself). */
const CHECKED_FROM = 12;

/** Where the record batch body (the bulk data, checked separately) lies within the IPC file. */
export interface BodyRange {
  readonly offset: number;
  readonly length: number;
}

/**
 * The frame length for a body: a multiple of 8 between {@link MIN_FRAME_BYTES} and
 * {@link MAX_FRAME_BYTES}. A body of 64 KiB or more is put at a page boundary of the output, so its
 * copy has the same (page) alignment as the source buffer and runs at plain memcpy speed (a copy
 * between buffers offset by a few cache lines is markedly slower); small bodies get no padding.
 */
export function frameLengthFor(body: BodyRange): number {
  const align = body.length >= PAGE_ALIGN_FROM ? 4096 : 8;
  return MIN_FRAME_BYTES + ((align - ((MIN_FRAME_BYTES + body.offset) % align)) % align);
}

/**
 * Fills the frame at the start of `out` (`frameLength` bytes, then the Arrow IPC file).
 *
 * Layout (little-endian): `BTIX` magic (4) · frame layout u32 = 1 (4) · CRC-32 (4) · frame length
 * u32 (4) · body offset u64 (8) · body length u64 (8) · zero padding up to the frame length. The
 * CRC-32 covers frame bytes 12.. and every IPC byte outside the body — the flatbuffer metadata Arrow
 * parses — so corrupt metadata is caught before Arrow reads it (Arrow's decoder can allocate without
 * bound on corrupt flatbuffers). The body is left out so persist and open stay O(metadata) here;
 * its data buffers carry their own CRC-32 in the schema metadata.
 */
export function fillFrame(out: Uint8Array, frameLength: number, body: BodyRange): void {
  out.fill(0, 0, frameLength);
  out.set(FRAME_MAGIC, 0);
  const view = new DataView(out.buffer, out.byteOffset, MIN_FRAME_BYTES);
  view.setUint32(4, LAYOUT_ARROW_FILE, true);
  view.setUint32(12, frameLength, true);
  view.setBigUint64(16, BigInt(body.offset), true);
  view.setBigUint64(24, BigInt(body.length), true);
  view.setUint32(8, frameChecksum(out, frameLength, body), true);
}

/**
 * The frame layout of persisted index bytes ({@link LAYOUT_ARROW_FILE} or {@link LAYOUT_RAW}),
 * after checking that they are bytes, long enough, and start with the magic. Anything else is a
 * `CORRUPT_INPUT` error.
 */
export function frameLayout(bytes: Uint8Array, kind: string): typeof LAYOUT_ARROW_FILE | typeof LAYOUT_RAW {
  if (!(bytes instanceof Uint8Array)) throw corruptIndex(kind, 'expected bytes (a Uint8Array)');
  if (bytes.byteLength < MIN_FRAME_BYTES)
    throw corruptIndex(kind, `${bytes.byteLength} bytes is shorter than the index frame (truncated?)`);
  if (FRAME_MAGIC.some((b, i) => bytes[i] !== b))
    throw corruptIndex(kind, 'bad magic number (not a persisted Baton index)');
  const layout = new DataView(bytes.buffer, bytes.byteOffset, 8).getUint32(4, true);
  if (layout !== LAYOUT_ARROW_FILE && layout !== LAYOUT_RAW)
    throw corruptIndex(kind, `unknown index frame layout ${layout}`);
  return layout;
}

/**
 * Checks the layout-1 frame of `bytes` (magic, layout, lengths, CRC-32 of the metadata) and returns
 * the Arrow IPC file that follows it, as a view. Every problem is a `CORRUPT_INPUT` error.
 */
export function openFrame(bytes: Uint8Array, kind: string): Uint8Array {
  const layout = frameLayout(bytes, kind);
  if (layout !== LAYOUT_ARROW_FILE) throw corruptIndex(kind, `expected index frame layout 1, got ${layout}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, MIN_FRAME_BYTES);
  const frameLength = view.getUint32(12, true);
  if (
    frameLength % 8 !== 0 ||
    frameLength < MIN_FRAME_BYTES ||
    frameLength > MAX_FRAME_BYTES ||
    frameLength > bytes.byteLength
  ) {
    throw corruptIndex(kind, `bad frame length ${frameLength}`);
  }
  const ipcLength = bytes.byteLength - frameLength;
  const offset = view.getBigUint64(16, true);
  const length = view.getBigUint64(24, true);
  if (offset > BigInt(ipcLength) || length > BigInt(ipcLength) - offset) {
    throw corruptIndex(kind, `body range ${offset}+${length} does not fit ${ipcLength} bytes (truncated?)`);
  }
  const body = { offset: Number(offset), length: Number(length) };
  if (frameChecksum(bytes, frameLength, body) !== view.getUint32(8, true))
    throw corruptIndex(kind, 'metadata checksum mismatch (corrupt or truncated bytes)');
  return bytes.subarray(frameLength);
}

function frameChecksum(framed: Uint8Array, frameLength: number, body: BodyRange): number {
  const start = frameLength + body.offset;
  const head = crc32(framed.subarray(CHECKED_FROM, start));
  const tail = framed.subarray(start + body.length);
  // Node's crc32(empty, crc) can return 0 instead of crc, so an empty tail is skipped.
  return tail.byteLength === 0 ? head : crc32(tail, head);
}
