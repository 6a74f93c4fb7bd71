import type { FileHandle } from 'node:fs/promises';
import {
  checksumMatches,
  decodeHeader,
  decodeMarker,
  MARKER_PAYLOAD_BYTES,
  RECORD_HEADER_BYTES,
} from './sinkRecord.js';
import type { CommitMarker } from './sinkRecord.js';

/** A commit marker record found by {@link findCommitMarker}. */
export interface FoundMarker {
  /** Byte offset of the marker record. */
  readonly offset: number;
  readonly marker: CommitMarker;
}

const MARKER_RECORD_BYTES = RECORD_HEADER_BYTES + MARKER_PAYLOAD_BYTES;
/** "BCMK", the first four bytes of every commit marker record. */
const MARKER_MAGIC = new Uint8Array([0x42, 0x43, 0x4d, 0x4b]);
const CHUNK_BYTES = 1024 * 1024;

/**
 * The first whole commit marker in `[from, to)`, searched at every byte offset rather than by
 * following record lengths: a scan that does not stop at a damaged record. A candidate counts when
 * it has the marker magic, a marker header, a matching CRC-32 and well-formed fields, so a batch
 * payload would have to embed a whole checksummed marker to be mistaken for one (which only makes a
 * start refuse, never cut). Reads `[from, to)` once, in chunks of 1 MiB; `poll` is called per
 * chunk (throw from it to stop).
 *
 * Used before bytes after the committed part of a sink are cut: they are an unacknowledged tail
 * only if no checkpoint committed them, i.e. no commit marker is anywhere among them.
 */
export async function findCommitMarker(
  handle: FileHandle,
  from: number,
  to: number,
  poll?: () => void,
): Promise<FoundMarker | undefined> {
  const buffer = Buffer.alloc(Math.max(MARKER_RECORD_BYTES, Math.min(CHUNK_BYTES, to - from)));
  for (let start = from; start + MARKER_RECORD_BYTES <= to;) {
    poll?.();
    const length = await fill(handle, buffer, start, Math.min(buffer.byteLength, to - start));
    const chunk = buffer.subarray(0, length);
    for (let at = chunk.indexOf(MARKER_MAGIC); at >= 0; at = chunk.indexOf(MARKER_MAGIC, at + 1)) {
      if (at + MARKER_RECORD_BYTES > length) break;
      const found = markerAt(chunk.subarray(at, at + MARKER_RECORD_BYTES), start + at);
      if (found) return { offset: start + at, marker: found };
    }
    if (start + length >= to || length < MARKER_RECORD_BYTES) return undefined;
    start += length - (MARKER_RECORD_BYTES - 1); // a marker across the chunk's end is seen whole next time
  }
  return undefined;
}

/** The marker in `bytes` (one whole marker record) written at `offset`, if it is one. */
function markerAt(bytes: Uint8Array, offset: number): CommitMarker | undefined {
  const header = decodeHeader(bytes, MARKER_PAYLOAD_BYTES);
  if (typeof header === 'string' || header.kind !== 'marker') return undefined;
  const payload = bytes.subarray(RECORD_HEADER_BYTES);
  if (!checksumMatches(bytes, payload, header.crc)) return undefined;
  const marker = decodeMarker({ offset, end: offset + MARKER_RECORD_BYTES, header, payload });
  return typeof marker === 'string' ? undefined : marker;
}

async function fill(handle: FileHandle, buffer: Uint8Array, position: number, length: number): Promise<number> {
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled;
}
