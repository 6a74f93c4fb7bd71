import { crc32 } from 'node:zlib';
import type { FileHandle } from 'node:fs/promises';
import { describePosition } from './fileCheckpoint.js';
import type { FileCheckpoint, StoredCheckpoint } from './fileCheckpoint.js';
import { decodeMarker, MARKER_PAYLOAD_BYTES, RECORD_HEADER_BYTES } from './sinkRecord.js';
import type { CommitMarker, ScannedRecord } from './sinkRecord.js';
import { scanRecords } from './sinkScan.js';
import type { ScanOptions } from './sinkScan.js';

/**
 * The chain of a sink's records. A sink is valid when, from its first byte, every batch record
 * starts at or after the end of the previous one (gaps between batches are allowed, overlaps are
 * not) and every commit marker agrees with everything before it: the next generation, its own byte
 * offset, the number of batch records and the running digest of their CRCs, and the LSN reached.
 * A record lost, added, replaced or moved — what two processes writing one sink with different
 * batch boundaries produce — breaks the next marker (or the checkpoint, which carries the same
 * fields), and is reported with its byte offset and LSN ranges.
 *
 * A chain state has the shape of a {@link FileCheckpoint}: the state after the first `offset` bytes.
 */
export function chainStart(baseLsn: bigint): FileCheckpoint {
  return { lsn: baseLsn, offset: 0, lastRecordOffset: -1, baseLsn, generation: 0, records: 0, digest: 0 };
}

const crcBytes = new Uint8Array(4);
const crcView = new DataView(crcBytes.buffer);

/** The state after a batch record of `byteLength` bytes with CRC `crc`, ending at LSN `lsnEnd`, written at `state.offset`. */
export function afterBatch(state: FileCheckpoint, byteLength: number, lsnEnd: bigint, crc: number): FileCheckpoint {
  crcView.setUint32(0, crc, true);
  return {
    lsn: lsnEnd,
    offset: state.offset + byteLength,
    lastRecordOffset: state.offset,
    baseLsn: state.baseLsn,
    generation: state.generation,
    records: state.records + 1,
    digest: crc32(crcBytes, state.digest),
  };
}

/** The commit marker a checkpoint appends at `state.offset`. */
export function markerAt(state: FileCheckpoint): CommitMarker {
  const { offset, records, digest, lsn } = state;
  return { generation: state.generation + 1, offset, records, digest, lsn };
}

/** The state after the commit marker {@link markerAt} made for `state`. */
export function afterMarker(state: FileCheckpoint): FileCheckpoint {
  return {
    ...state,
    generation: state.generation + 1,
    offset: state.offset + RECORD_HEADER_BYTES + MARKER_PAYLOAD_BYTES,
    lastRecordOffset: state.offset,
  };
}

const range = (record: ScannedRecord): string => `[${record.header.lsnStart}, ${record.header.lsnEnd})`;

/** The state after `record` (which starts at `state.offset`), or why it does not continue the chain. */
function follow(state: FileCheckpoint, record: ScannedRecord): FileCheckpoint | string {
  const at = `record at byte ${record.offset}`;
  if (record.header.kind === 'batch') {
    if (record.header.lsnStart < state.lsn) {
      return state.lastRecordOffset < 0
        ? `${at} ${range(record)} starts before the sink's base LSN ${state.baseLsn}`
        : `${at} ${range(record)} overlaps what the records before it hold (through LSN ${state.lsn}, last record at byte ${state.lastRecordOffset})`;
    }
    return afterBatch(state, record.end - record.offset, record.header.lsnEnd, record.header.crc);
  }
  const marker = decodeMarker(record);
  if (typeof marker === 'string') return marker;
  const expected = markerAt(state);
  const marked = `commit marker at byte ${record.offset}`;
  if (marker.generation !== expected.generation)
    return `${marked} has generation ${marker.generation}, the chain before it is at ${state.generation}`;
  if (marker.records !== expected.records || marker.digest !== expected.digest || marker.lsn !== expected.lsn) {
    return (
      `${marked} commits ${marker.records} batch records through LSN ${marker.lsn} (digest ${marker.digest}), ` +
      `but the records before it are ${expected.records} through LSN ${expected.lsn} (digest ${expected.digest}): ` +
      `a batch record is missing, extra or replaced`
    );
  }
  if (marker.offset !== record.offset)
    return `${marked} says it was written at byte ${marker.offset} (records were moved or spliced)`;
  return afterMarker(state);
}

/** Where a chain scan got to. */
export interface ChainScan {
  /** The state after the last record that continued the chain. */
  readonly end: FileCheckpoint;
  /** The state after the last commit marker that continued the chain, if the scan passed one. */
  readonly committed: FileCheckpoint | undefined;
  /** Why the scan stopped before `to`. */
  readonly defect?: string;
}

/**
 * Follows the chain from `start` through the records in `[start.offset, to)`. `onBatch` sees each
 * batch record that continues the chain (its payload is a view valid during the call, undefined
 * when `options.batchPayloads` is false and it was checksummed in chunks). Linear in the bytes
 * scanned: every record is read once, in large sequential reads, and checksummed.
 */
export async function scanChain(
  handle: FileHandle,
  start: FileCheckpoint,
  to: number,
  options: ScanOptions,
  onBatch?: (record: ScannedRecord) => void,
): Promise<ChainScan> {
  let state = start;
  let committed: FileCheckpoint | undefined;
  const scan = await scanRecords(handle, start.offset, to, options, (record) => {
    const next = follow(state, record);
    if (typeof next === 'string') return next;
    if (record.header.kind === 'batch') onBatch?.(record);
    else committed = next;
    state = next;
    return undefined;
  });
  return { end: state, committed, ...(scan.defect === undefined ? {} : { defect: scan.defect }) };
}

/** Why the chain state `state` reached at `checkpoint.offset` does not match the checkpoint, or undefined. */
export function checkpointMismatch(state: FileCheckpoint, checkpoint: StoredCheckpoint): string | undefined {
  const chainFields =
    checkpoint.format === 1 ||
    (state.generation === checkpoint.generation &&
      state.records === checkpoint.records &&
      state.digest === checkpoint.digest);
  if (state.lsn === checkpoint.lsn && state.lastRecordOffset === checkpoint.lastRecordOffset && chainFields)
    return undefined;
  return (
    `the records before byte ${checkpoint.offset} end at ${describePosition(state)} with ${state.records} batch records ` +
    `(last at byte ${state.lastRecordOffset}), the checkpoint says ${describePosition(checkpoint)} with ${checkpoint.records} ` +
    `(last at byte ${checkpoint.lastRecordOffset})`
  );
}
