import { join } from 'node:path';
import { ReloadError } from '@baton/core';
import { readChecked, writeChecked } from '@baton/core/durable';
import { pack, unpack } from '../codec/packr.js';
import { MAX_LSN } from './batchCheck.js';

/** File name of a file CDC sink's data (append-only records, see `sinkRecord.ts`). */
export const SINK_FILE = 'changes.bcdc';
/** File name of a file CDC sink's checkpoint. */
export const CHECKPOINT_FILE = 'checkpoint.bin';

const TAG = 'baton.fileCdc.checkpoint';
/** Format 2 adds the chain fields (generation, records, digest); format 1 is still read. */
const FORMAT_VERSION = 2;
const MAX_CHECKPOINT_BYTES = 4096;

/**
 * The durable state of a file CDC sink: the first `offset` bytes of the sink file hold exactly the
 * batches through `lsn`, the last record at `lastRecordOffset`. Bytes after `offset` were not
 * acknowledged by a checkpoint; a start discards them, unless a commit marker among them shows
 * that a newer checkpoint committed them (see `sinkReconcile.ts`).
 */
export interface FileCheckpoint {
  /** LSN through which the sink is complete (exclusive end of the last committed batch). */
  readonly lsn: bigint;
  /** Committed length of the sink file in bytes. */
  readonly offset: number;
  /** Offset of the last committed record (batch or commit marker), or -1 when the sink holds none. */
  readonly lastRecordOffset: number;
  /** LSN the sink started at (its first start's `fromLsn`). */
  readonly baseLsn: bigint;
  /** Commit markers in the first `offset` bytes: one per checkpoint that wrote batches (0: none yet). */
  readonly generation: number;
  /** Batch records in the first `offset` bytes. */
  readonly records: number;
  /** Running CRC-32 over the CRCs of those batch records, in order. */
  readonly digest: number;
}

/** A checkpoint read from disk, with the format it was written in (1: no chain fields to check). */
export type StoredCheckpoint = FileCheckpoint & { readonly format: 1 | 2 };

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

const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
const isLsn = (value: unknown): value is bigint => typeof value === 'bigint' && value >= 0n && value <= MAX_LSN;
const isDigest = (value: unknown): value is number => isCount(value) && value <= 0xffff_ffff;

/**
 * Reads the checkpoint of the sink in `directory`: `undefined` when there is none, `CORRUPT_INPUT`
 * when it is torn, corrupt, of another format or inconsistent, `IO_FAILED` when it cannot be read.
 * At most 4 KiB are read.
 */
export async function readCheckpoint(directory: string, key: string): Promise<StoredCheckpoint | undefined> {
  const path = join(directory, CHECKPOINT_FILE);
  let payload: Uint8Array | undefined;
  try {
    payload = await readChecked(path, {
      maxBytes: MAX_CHECKPOINT_BYTES,
      errorContext: { kind: 'cdcOutput', key, prefix: `CDC '${key}': ` },
    });
  } catch (error) {
    if (error instanceof ReloadError && error.code === 'CORRUPT_INPUT')
      throw corrupt(key, path, `is unreadable: ${error.message}`, error);
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
  const format: unknown = decoded[1];
  if (format !== 1 && format !== FORMAT_VERSION)
    throw corrupt(
      key,
      path,
      `has unknown format version ${String(format)} (this reader knows 1 and ${FORMAT_VERSION})`,
    );
  const fields = decoded as unknown[];
  const [, , lsn, offset, lastRecordOffset, baseLsn] = fields;
  const [generation, records, digest] = format === 1 ? [0, 0, 0] : fields.slice(6);
  if (
    fields.length !== (format === 1 ? 6 : 9) ||
    !isLsn(lsn) ||
    !isLsn(baseLsn) ||
    !isCount(offset) ||
    !Number.isSafeInteger(lastRecordOffset) ||
    !isCount(generation) ||
    !isCount(records) ||
    !isDigest(digest)
  ) {
    throw corrupt(key, path, 'has malformed fields');
  }
  const last = lastRecordOffset as number;
  const consistent =
    baseLsn <= lsn &&
    (last === -1 ? offset === 0 && lsn === baseLsn && records === 0 && generation === 0 : last >= 0 && last < offset);
  if (!consistent)
    throw corrupt(key, path, `is inconsistent (lsn ${lsn}, base ${baseLsn}, offset ${offset}, last record ${last})`);
  return { lsn, offset, lastRecordOffset: last, baseLsn, generation, records, digest, format };
}

/** Writes the checkpoint atomically (temp file, fsync, rename, directory fsync, CRC frame), in format 2. */
export async function writeCheckpoint(directory: string, key: string, checkpoint: FileCheckpoint): Promise<void> {
  const { lsn, offset, lastRecordOffset, baseLsn, generation, records, digest } = checkpoint;
  await writeChecked(
    join(directory, CHECKPOINT_FILE),
    pack([TAG, FORMAT_VERSION, lsn, offset, lastRecordOffset, baseLsn, generation, records, digest]),
    { errorContext: { kind: 'cdcOutput', key, prefix: `CDC '${key}': ` } },
  );
}

/** `generation 3, LSN 40 at byte 1234`: how errors name a committed position. */
export function describePosition(checkpoint: FileCheckpoint): string {
  return `generation ${checkpoint.generation}, LSN ${checkpoint.lsn} at byte ${checkpoint.offset}`;
}
