import { join } from 'node:path';
import { ReloadError, readChecked, writeChecked } from '@baton/core';
import { pack, unpack } from '../codec/packr.js';
import { MAX_LSN } from './batchCheck.js';

/** File name of a file CDC sink's data (append-only records, see `sinkRecord.ts`). */
export const SINK_FILE = 'changes.bcdc';
/** File name of a file CDC sink's checkpoint. */
export const CHECKPOINT_FILE = 'checkpoint.bin';

const TAG = 'baton.fileCdc.checkpoint';
const FORMAT_VERSION = 1;
const MAX_CHECKPOINT_BYTES = 4096;

/**
 * The durable state of a file CDC sink: the first `offset` bytes of the sink file hold exactly the
 * batches through `lsn`, the last of them at `lastRecordOffset`. Bytes after `offset` were never
 * acknowledged and are discarded on start.
 */
export interface FileCheckpoint {
  /** LSN through which the sink is complete (exclusive end of the last committed batch). */
  readonly lsn: bigint;
  /** Committed length of the sink file in bytes. */
  readonly offset: number;
  /** Offset of the last committed record, or -1 when the sink holds none. */
  readonly lastRecordOffset: number;
  /** LSN the sink started at (its first start's `fromLsn`). */
  readonly baseLsn: bigint;
}

function corrupt(key: string, path: string, reason: string, cause?: unknown): ReloadError {
  return new ReloadError({
    code: 'CORRUPT_INPUT',
    phase: 'decode',
    kind: 'cdcOutput',
    key,
    message: `CDC '${key}': checkpoint ${path} ${reason}`,
    ...(cause === undefined ? {} : { cause }),
  });
}

const isOffset = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
const isLsn = (value: unknown): value is bigint => typeof value === 'bigint' && value >= 0n && value <= MAX_LSN;

/**
 * Reads the checkpoint of the sink in `directory`: `undefined` when there is none, `CORRUPT_INPUT`
 * when it is torn, corrupt, of another format or inconsistent.
 */
export async function readCheckpoint(directory: string, key: string): Promise<FileCheckpoint | undefined> {
  const path = join(directory, CHECKPOINT_FILE);
  let payload: Uint8Array | undefined;
  try {
    payload = await readChecked(path, { maxBytes: MAX_CHECKPOINT_BYTES });
  } catch (error) {
    if (error instanceof ReloadError) throw corrupt(key, path, `is unreadable: ${error.message}`, error);
    throw error;
  }
  if (payload === undefined) return undefined;
  let decoded: unknown;
  try {
    decoded = unpack(payload);
  } catch (error) {
    throw corrupt(key, path, 'is not valid msgpack', error);
  }
  if (!Array.isArray(decoded) || decoded[0] !== TAG) throw corrupt(key, path, 'is not a file CDC checkpoint');
  if (decoded[1] !== FORMAT_VERSION)
    throw corrupt(key, path, `has unknown format version ${String(decoded[1])} (this reader knows ${FORMAT_VERSION})`);
  const [, , lsn, offset, lastRecordOffset, baseLsn] = decoded as unknown[];
  if (!isLsn(lsn) || !isLsn(baseLsn) || !isOffset(offset) || !Number.isSafeInteger(lastRecordOffset)) {
    throw corrupt(key, path, 'has malformed fields');
  }
  const last = lastRecordOffset as number;
  const consistent = baseLsn <= lsn && (last === -1 ? offset === 0 && lsn === baseLsn : last >= 0 && last < offset);
  if (!consistent)
    throw corrupt(key, path, `is inconsistent (lsn ${lsn}, base ${baseLsn}, offset ${offset}, last record ${last})`);
  return { lsn, offset, lastRecordOffset: last, baseLsn };
}

/** Writes the checkpoint atomically (temp file, fsync, rename, directory fsync, CRC frame). */
export async function writeCheckpoint(directory: string, checkpoint: FileCheckpoint): Promise<void> {
  const { lsn, offset, lastRecordOffset, baseLsn } = checkpoint;
  await writeChecked(
    join(directory, CHECKPOINT_FILE),
    pack([TAG, FORMAT_VERSION, lsn, offset, lastRecordOffset, baseLsn]),
  );
}
