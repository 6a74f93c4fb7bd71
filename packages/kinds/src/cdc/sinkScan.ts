import { crc32 } from 'node:zlib';
import type { FileHandle } from 'node:fs/promises';
import { checksumMatches, decodeHeader, RECORD_HEADER_BYTES } from './sinkRecord.js';
import type { ScannedRecord } from './sinkRecord.js';

/** What a scan stopped at: the end of the last whole record and, if the scan hit one, the defect. */
export interface ScanEnd {
  readonly end: number;
  readonly defect?: string;
}

/** Bytes read from the sink at once: records smaller than this cost no system call of their own. */
const WINDOW_BYTES = 1024 * 1024;

async function fill(handle: FileHandle, buffer: Uint8Array, position: number): Promise<number> {
  let filled = 0;
  while (filled < buffer.byteLength) {
    const { bytesRead } = await handle.read(buffer, filled, buffer.byteLength - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled;
}

/** Reads a file through a window, so a scan of many small records reads it in large sequential chunks. */
class WindowReader {
  readonly #window: Uint8Array;
  #start = 0;
  #filled = 0;

  constructor(
    readonly handle: FileHandle,
    windowBytes: number,
  ) {
    this.#window = new Uint8Array(windowBytes);
  }

  /** `length` bytes at `position` if the window holds them (no system call), else undefined. */
  peek(position: number, length: number): Uint8Array | undefined {
    const offset = position - this.#start;
    return offset >= 0 && offset + length <= this.#filled ? this.#window.subarray(offset, offset + length) : undefined;
  }

  /** `length` bytes at `position` (fewer at end of file): a view valid until the next call. */
  async read(position: number, length: number): Promise<Uint8Array> {
    const offset = position - this.#start;
    if (offset >= 0 && offset + length <= this.#filled) return this.#window.subarray(offset, offset + length);
    if (length > this.#window.byteLength) {
      const buffer = new Uint8Array(length);
      return buffer.subarray(0, await fill(this.handle, buffer, position));
    }
    this.#start = position;
    this.#filled = await fill(this.handle, this.#window, position);
    return this.#window.subarray(0, Math.min(length, this.#filled));
  }
}

/** How {@link scanRecords} reads. */
export interface ScanOptions {
  /**
   * Batch payloads larger than this are a defect, found before anything is read for them (default:
   * no limit but the file: the size a header declares must fit before `to`).
   */
  readonly maxPayloadBytes?: number;
  /**
   * Whether `visit` needs batch payloads (default true). Without, a payload larger than the read
   * window is checksummed in window-sized chunks and never held whole (the record's `payload` is
   * then undefined), so a scan of the chain needs memory of one window whatever the record sizes.
   * Commit marker payloads are always there.
   */
  readonly batchPayloads?: boolean;
  /** Called before each record; throw from it to stop the scan (an aborted signal). */
  readonly poll?: () => void;
}

/**
 * Visits the whole, checksummed records of a sink from `from` up to `to`, in order, and returns
 * where the good prefix ends: at `to`, at the first torn, corrupt or foreign record (its `defect`
 * says which), or where `visit` returned a problem (that `defect`). Sizes are checked against `to`
 * (and `maxPayloadBytes`) before any payload is read. Each record's `payload` is a view valid
 * during the call only: copy it to keep it. Records within the read window cost no await.
 */
export async function scanRecords(
  handle: FileHandle,
  from: number,
  to: number,
  options: ScanOptions,
  visit: (record: ScannedRecord) => string | undefined,
): Promise<ScanEnd> {
  const maxPayloadBytes = options.maxPayloadBytes ?? Number.MAX_SAFE_INTEGER;
  const windowBytes = Math.max(RECORD_HEADER_BYTES, Math.min(WINDOW_BYTES, to - from));
  const reader = new WindowReader(handle, windowBytes);
  let offset = from;
  while (offset < to) {
    options.poll?.();
    if (offset + RECORD_HEADER_BYTES > to)
      return {
        end: offset,
        defect: `record at byte ${offset} is torn (${to - offset} bytes left, header needs ${RECORD_HEADER_BYTES})`,
      };
    // The header is copied when the payload read may move the window.
    const headerBytes =
      reader.peek(offset, RECORD_HEADER_BYTES) ?? (await reader.read(offset, RECORD_HEADER_BYTES)).slice();
    const header = decodeHeader(headerBytes, maxPayloadBytes);
    if (typeof header === 'string') return { end: offset, defect: `record at byte ${offset}: ${header}` };
    const end = offset + RECORD_HEADER_BYTES + header.payloadBytes;
    if (end > to)
      return {
        end: offset,
        defect: `record at byte ${offset} is torn (needs ${end - offset} bytes, ${to - offset} left)`,
      };
    const at = offset + RECORD_HEADER_BYTES;
    let payload = reader.peek(at, header.payloadBytes);
    let intact: boolean;
    if (payload !== undefined) {
      intact = checksumMatches(headerBytes, payload, header.crc);
    } else {
      const stable = headerBytes.slice(); // the reads below may refill the window the header is in
      if (header.kind === 'batch' && options.batchPayloads === false && header.payloadBytes > windowBytes) {
        intact = (await streamedCrc(reader, stable, at, header.payloadBytes, windowBytes)) === header.crc;
      } else {
        payload = await reader.read(at, header.payloadBytes);
        if (payload.byteLength !== header.payloadBytes)
          return { end: offset, defect: `record at byte ${offset} is torn (file ended early)` };
        intact = checksumMatches(stable, payload, header.crc);
      }
    }
    if (!intact) return { end: offset, defect: `record at byte ${offset}: checksum mismatch (corrupt or torn)` };
    const problem = visit({ offset, end, header, payload });
    if (problem !== undefined) return { end: offset, defect: problem };
    offset = end;
  }
  return { end: offset };
}

/** The CRC of a record whose payload is read in window-sized chunks (-1 when the file ends early). */
async function streamedCrc(
  reader: WindowReader,
  headerBytes: Uint8Array,
  at: number,
  payloadBytes: number,
  windowBytes: number,
): Promise<number> {
  let crc = crc32(headerBytes.subarray(0, 32));
  for (let done = 0; done < payloadBytes;) {
    const chunk = await reader.read(at + done, Math.min(windowBytes, payloadBytes - done));
    if (chunk.byteLength === 0) return -1;
    crc = crc32(chunk, crc);
    done += chunk.byteLength;
  }
  return crc;
}
