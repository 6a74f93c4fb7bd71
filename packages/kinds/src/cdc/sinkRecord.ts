import { crc32 } from 'node:zlib';
import { Table, tableToIPC } from 'apache-arrow';
import type { CdcBatch } from '@baton/core';
import { checkArrowPayload, MAX_ROWS_PER_PAYLOAD_BYTE } from './arrowPayloadCheck.js';

/**
 * One record of a file CDC sink: a 36-byte little-endian header, then a payload.
 *
 * ```
 * offset 0  u32  magic: "BCDC" (a batch) or "BCMK" (a commit marker)
 *        4  u32  payload length
 *        8  u64  lsnStart (marker: the committed LSN)
 *       16  u64  lsnEnd, exclusive (marker: the committed LSN)
 *       24  f64  commitTimestamp (ms; marker: when the checkpoint was taken)
 *       32  u32  CRC-32 of bytes 0..32 and the payload
 * ```
 *
 * A batch's payload is its mutations as an Arrow IPC stream (schema, dictionaries, one record
 * batch, end-of-stream). A commit marker, appended by every `checkpoint()` before the sink is
 * synced, has a 32-byte payload: u64 generation (1, 2, 3, … per checkpoint), u64 its own byte
 * offset, u64 the number of batch records before it, u32 the running digest of their CRCs, u32 0.
 * Sinks written before commit markers existed hold batch records only, and stay readable.
 */
export const RECORD_HEADER_BYTES = 36;

/** Payload bytes of a commit marker. */
export const MARKER_PAYLOAD_BYTES = 32;

/** Default upper bound on one record's Arrow payload (256 MiB), checked before allocating. */
export const DEFAULT_MAX_RECORD_BYTES = 256 * 1024 * 1024;

const MAGIC = 0x43_44_43_42; // "BCDC" as little-endian bytes
const MARKER_MAGIC = 0x4b_4d_43_42; // "BCMK"

/** A record header read back from a sink. */
export interface RecordHeader {
  readonly kind: 'batch' | 'marker';
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

/**
 * A record as a scan visits it: a batch payload the scan only checksummed in chunks (see
 * `ScanOptions.batchPayloads`) is undefined. A commit marker's payload is always there.
 */
export interface ScannedRecord extends Omit<SinkRecord, 'payload'> {
  readonly payload: Uint8Array | undefined;
}

/** What a commit marker says: the sink's chain state just before it (see `sinkChain.ts`). */
export interface CommitMarker {
  readonly generation: number;
  /** Byte offset at which the marker itself was written. */
  readonly offset: number;
  /** Batch records before the marker. */
  readonly records: number;
  /** Running CRC-32 over the CRCs of those records. */
  readonly digest: number;
  /** LSN through which the sink is complete at the marker. */
  readonly lsn: bigint;
}

function frame(magic: number, payload: Uint8Array, lsnStart: bigint, lsnEnd: bigint, timestamp: number): Uint8Array {
  const record = new Uint8Array(RECORD_HEADER_BYTES + payload.byteLength);
  const view = new DataView(record.buffer);
  view.setUint32(0, magic, true);
  view.setUint32(4, payload.byteLength, true);
  view.setBigUint64(8, lsnStart, true);
  view.setBigUint64(16, lsnEnd, true);
  view.setFloat64(24, timestamp, true);
  record.set(payload, RECORD_HEADER_BYTES);
  view.setUint32(32, crc32(payload, crc32(record.subarray(0, 32))), true);
  return record;
}

/**
 * Encodes a batch as a sink record. Returns a problem string when arrow-js cannot encode its
 * mutations, when its payload exceeds `maxPayloadBytes`, when it has more rows than its payload can
 * back (a batch of only `Null` columns, which no reader could tell from a forged row count), or
 * when the encoded payload fails the check {@link decodeRecord} runs (`checkArrowPayload`): a
 * `RecordBatch` whose declared lengths its buffers do not back encodes without complaint, and
 * would make every reader refuse the committed sink. So every record this returns is readable.
 */
export function encodeRecord(batch: CdcBatch, maxPayloadBytes: number): Uint8Array | string {
  let payload: Uint8Array;
  try {
    payload = tableToIPC(new Table(batch.mutations), 'stream');
  } catch (error) {
    return `its mutations cannot be encoded as Arrow IPC (${error instanceof Error ? error.message : String(error)})`;
  }
  if (payload.byteLength > maxPayloadBytes)
    return `it is too large: its Arrow payload of ${payload.byteLength} bytes exceeds the limit of ${maxPayloadBytes}`;
  if (batch.mutations.numRows > payload.byteLength * MAX_ROWS_PER_PAYLOAD_BYTE)
    return `its ${batch.mutations.numRows} rows are not backed by data (${payload.byteLength} bytes of Arrow payload)`;
  const readable = checkArrowPayload(payload);
  if (typeof readable === 'string') return `its encoded Arrow payload would not be readable back: ${readable}`;
  return frame(MAGIC, payload, batch.lsnStart, batch.lsnEnd, batch.commitTimestamp);
}

/** Encodes a commit marker record. */
export function encodeMarker(marker: CommitMarker): Uint8Array {
  const payload = new Uint8Array(MARKER_PAYLOAD_BYTES);
  const view = new DataView(payload.buffer);
  view.setBigUint64(0, BigInt(marker.generation), true);
  view.setBigUint64(8, BigInt(marker.offset), true);
  view.setBigUint64(16, BigInt(marker.records), true);
  view.setUint32(24, marker.digest, true);
  return frame(MARKER_MAGIC, payload, marker.lsn, marker.lsn, Date.now());
}

/** Reads a header; returns a problem string when it is not a valid header. */
export function decodeHeader(bytes: Uint8Array, maxPayloadBytes: number): RecordHeader | string {
  if (bytes.byteLength < RECORD_HEADER_BYTES)
    return `${bytes.byteLength} bytes is shorter than a record header (torn write)`;
  const view = new DataView(bytes.buffer, bytes.byteOffset, RECORD_HEADER_BYTES);
  const magic = view.getUint32(0, true);
  if (magic !== MAGIC && magic !== MARKER_MAGIC) return 'bad record magic number';
  const kind = magic === MAGIC ? 'batch' : 'marker';
  const payloadBytes = view.getUint32(4, true);
  if (kind === 'marker' && payloadBytes !== MARKER_PAYLOAD_BYTES)
    return `commit marker payload of ${payloadBytes} bytes (expected ${MARKER_PAYLOAD_BYTES})`;
  if (payloadBytes > maxPayloadBytes)
    return `record payload of ${payloadBytes} bytes exceeds the limit of ${maxPayloadBytes}`;
  const lsnStart = view.getBigUint64(8, true);
  const lsnEnd = view.getBigUint64(16, true);
  if (kind === 'batch' && lsnEnd <= lsnStart) return `record LSN range [${lsnStart}, ${lsnEnd}) is empty`;
  if (kind === 'marker' && lsnEnd !== lsnStart) return `commit marker LSNs ${lsnStart} and ${lsnEnd} differ`;
  const commitTimestamp = view.getFloat64(24, true);
  return { kind, lsnStart, lsnEnd, commitTimestamp, payloadBytes, crc: view.getUint32(32, true) };
}

/** True when `payload` matches the CRC of the header bytes it was read with. */
export function checksumMatches(headerBytes: Uint8Array, payload: Uint8Array, crc: number): boolean {
  return crc32(payload, crc32(headerBytes.subarray(0, 32))) === crc;
}

/** Reads a commit marker's payload; returns a problem string when it is malformed. */
export function decodeMarker(record: ScannedRecord): CommitMarker | string {
  if (record.payload?.byteLength !== MARKER_PAYLOAD_BYTES)
    return `commit marker at byte ${record.offset} has no ${MARKER_PAYLOAD_BYTES}-byte payload`;
  const view = new DataView(record.payload.buffer, record.payload.byteOffset, MARKER_PAYLOAD_BYTES);
  const field = (at: number): number | undefined => {
    const value = view.getBigUint64(at, true);
    return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : undefined;
  };
  const [generation, offset, records] = [field(0), field(8), field(16)];
  if (generation === undefined || offset === undefined || records === undefined || view.getUint32(28, true) !== 0)
    return `commit marker at byte ${record.offset} has out-of-range fields`;
  return { generation, offset, records, digest: view.getUint32(24, true), lsn: record.header.lsnEnd };
}

/**
 * Decodes a batch record into a batch. The Arrow payload is checked before Arrow decodes it (see
 * `arrowPayloadCheck.ts`): every length it declares must be backed by bytes that are present, so a
 * forged row or buffer count is a problem string, never a huge allocation.
 */
export function decodeRecord(record: SinkRecord): CdcBatch | string {
  const checked = checkArrowPayload(record.payload);
  if (typeof checked === 'string') return `record at byte ${record.offset}: ${checked}`;
  const { lsnStart, lsnEnd, commitTimestamp } = record.header;
  return { lsnStart, lsnEnd, commitTimestamp, mutations: checked };
}
