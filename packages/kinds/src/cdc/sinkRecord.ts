import { crc32 } from 'node:zlib';
import { Table, tableFromIPC, tableToIPC } from 'apache-arrow';
import type { FileHandle } from 'node:fs/promises';
import type { CdcBatch } from '@baton/core';

/**
 * One record of a file CDC sink: a 36-byte little-endian header, then the batch's mutations as an
 * Arrow IPC stream (schema + one record batch + end-of-stream marker).
 *
 * ```
 * offset 0  u32  magic "BCDC"
 *        4  u32  payload length
 *        8  u64  lsnStart
 *       16  u64  lsnEnd (exclusive)
 *       24  f64  commitTimestamp (ms)
 *       32  u32  CRC-32 of bytes 0..32 and the payload
 * ```
 */
export const RECORD_HEADER_BYTES = 36;

/** Default upper bound on one record's Arrow payload (256 MiB), checked before allocating. */
export const DEFAULT_MAX_RECORD_BYTES = 256 * 1024 * 1024;

const MAGIC = 0x43_44_43_42; // "BCDC" as little-endian bytes

/** A record header read back from a sink. */
export interface RecordHeader {
  readonly lsnStart: bigint;
  readonly lsnEnd: bigint;
  readonly commitTimestamp: number;
  readonly payloadBytes: number;
  readonly crc: number;
}

/** A record found in a sink: where it is and what it holds (the payload is not decoded yet). */
export interface SinkRecord {
  /** Byte offset of the record's header. */
  readonly offset: number;
  /** Byte offset just after the record. */
  readonly end: number;
  readonly header: RecordHeader;
  readonly payload: Uint8Array;
}

/** Encodes a batch as a sink record. Returns a problem string when it exceeds `maxPayloadBytes`. */
export function encodeRecord(batch: CdcBatch, maxPayloadBytes: number): Uint8Array | string {
  const payload = tableToIPC(new Table(batch.mutations), 'stream');
  if (payload.byteLength > maxPayloadBytes)
    return `its Arrow payload of ${payload.byteLength} bytes exceeds the limit of ${maxPayloadBytes}`;
  const record = new Uint8Array(RECORD_HEADER_BYTES + payload.byteLength);
  const view = new DataView(record.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, payload.byteLength, true);
  view.setBigUint64(8, batch.lsnStart, true);
  view.setBigUint64(16, batch.lsnEnd, true);
  view.setFloat64(24, batch.commitTimestamp, true);
  record.set(payload, RECORD_HEADER_BYTES);
  view.setUint32(32, crc32(payload, crc32(record.subarray(0, 32))), true);
  return record;
}

/** Reads a header; returns a problem string when it is not a valid header. */
export function decodeHeader(bytes: Uint8Array, maxPayloadBytes: number): RecordHeader | string {
  if (bytes.byteLength < RECORD_HEADER_BYTES)
    return `${bytes.byteLength} bytes is shorter than a record header (torn write)`;
  const view = new DataView(bytes.buffer, bytes.byteOffset, RECORD_HEADER_BYTES);
  if (view.getUint32(0, true) !== MAGIC) return 'bad record magic number';
  const payloadBytes = view.getUint32(4, true);
  if (payloadBytes > maxPayloadBytes)
    return `record payload of ${payloadBytes} bytes exceeds the limit of ${maxPayloadBytes}`;
  const lsnStart = view.getBigUint64(8, true);
  const lsnEnd = view.getBigUint64(16, true);
  if (lsnEnd <= lsnStart) return `record LSN range [${lsnStart}, ${lsnEnd}) is empty`;
  return { lsnStart, lsnEnd, commitTimestamp: view.getFloat64(24, true), payloadBytes, crc: view.getUint32(32, true) };
}

/** Reads exactly `length` bytes at `position` (fewer only at end of file). */
async function readAt(handle: FileHandle, position: number, length: number): Promise<Uint8Array> {
  const buffer = new Uint8Array(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled === length ? buffer : buffer.subarray(0, filled);
}

/**
 * Reads the record at `offset`, which must end at or before `limit`. Returns a problem string when
 * the bytes there are torn, corrupt or not a record. Sizes are checked before the payload is read.
 */
export async function readRecordAt(
  handle: FileHandle,
  offset: number,
  limit: number,
  maxPayloadBytes: number,
): Promise<SinkRecord | string> {
  if (offset + RECORD_HEADER_BYTES > limit)
    return `record at byte ${offset} is torn (${limit - offset} bytes left, header needs ${RECORD_HEADER_BYTES})`;
  const headerBytes = await readAt(handle, offset, RECORD_HEADER_BYTES);
  const header = decodeHeader(headerBytes, maxPayloadBytes);
  if (typeof header === 'string') return `record at byte ${offset}: ${header}`;
  const end = offset + RECORD_HEADER_BYTES + header.payloadBytes;
  if (end > limit) return `record at byte ${offset} is torn (needs ${end - offset} bytes, ${limit - offset} left)`;
  const payload = await readAt(handle, offset + RECORD_HEADER_BYTES, header.payloadBytes);
  if (payload.byteLength !== header.payloadBytes) return `record at byte ${offset} is torn (file ended early)`;
  if (crc32(payload, crc32(headerBytes.subarray(0, 32))) !== header.crc)
    return `record at byte ${offset}: checksum mismatch (corrupt or torn)`;
  return { offset, end, header, payload };
}

/** What a scan stopped at: the end of the last good record and, if the scan hit one, the defect. */
export interface ScanEnd {
  readonly end: number;
  readonly defect?: string;
}

/**
 * Yields the records of a sink from `from` up to `to`, in order, checking that their LSN ranges
 * ascend without overlap. Stops at the first defect (torn, corrupt, out-of-order record) and
 * returns where the good prefix ends.
 */
export async function* scanRecords(
  handle: FileHandle,
  from: number,
  to: number,
  maxPayloadBytes: number,
): AsyncGenerator<SinkRecord, ScanEnd, undefined> {
  let offset = from;
  let lastEnd: bigint | undefined;
  while (offset < to) {
    const record = await readRecordAt(handle, offset, to, maxPayloadBytes);
    if (typeof record === 'string') return { end: offset, defect: record };
    if (lastEnd !== undefined && record.header.lsnStart < lastEnd) {
      return {
        end: offset,
        defect: `record at byte ${offset} [${record.header.lsnStart}, ${record.header.lsnEnd}) overlaps the previous one (ending ${lastEnd})`,
      };
    }
    lastEnd = record.header.lsnEnd;
    yield record;
    offset = record.end;
  }
  return { end: offset };
}

/** Decodes a record into a batch; returns a problem string when its payload is not one Arrow batch. */
export function decodeRecord(record: SinkRecord): CdcBatch | string {
  let table: Table;
  try {
    table = tableFromIPC(record.payload);
  } catch (error) {
    return `record at byte ${record.offset}: payload is not an Arrow IPC stream (${error instanceof Error ? error.message : String(error)})`;
  }
  const [mutations, extra] = table.batches;
  if (!mutations || extra)
    return `record at byte ${record.offset}: payload holds ${table.batches.length} record batches, expected 1`;
  const { lsnStart, lsnEnd, commitTimestamp } = record.header;
  return { lsnStart, lsnEnd, commitTimestamp, mutations };
}
