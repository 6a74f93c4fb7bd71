/** Test helper: writes a sink of given (possibly forged) records with a checkpoint that describes exactly them. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { frameChecked } from '@baton/core/durable';
import { pack } from '../../codec/packr.js';
import { CHECKPOINT_FILE, SINK_FILE } from '../fileCheckpoint.js';
import { afterBatch, chainStart } from '../sinkChain.js';

/** Recomputes the CRC of an encoded record in place (after its bytes were patched). */
export function resealRecord(record: Uint8Array): Uint8Array {
  const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
  view.setUint32(32, crc32(record.subarray(36), crc32(record.subarray(0, 32))), true);
  return record;
}

/**
 * Writes `records` (encoded batch records, no commit markers) as the sink in `dir`, with a format-2
 * checkpoint whose chain fields match them, so only what is inside the records can be wrong.
 */
export async function craftSink(dir: string, records: readonly Uint8Array[], baseLsn = 0n): Promise<void> {
  let state = chainStart(baseLsn);
  for (const record of records) {
    const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
    state = afterBatch(state, record.byteLength, view.getBigUint64(16, true), view.getUint32(32, true));
  }
  await writeFile(join(dir, SINK_FILE), Buffer.concat(records));
  const { lsn, offset, lastRecordOffset, generation, records: count, digest } = state;
  const fields = ['baton.fileCdc.checkpoint', 2, lsn, offset, lastRecordOffset, baseLsn, generation, count, digest];
  await writeFile(join(dir, CHECKPOINT_FILE), frameChecked(pack(fields)));
}
