import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { ReloadError, withIo } from '@baton/core';
import type { FileHandle } from 'node:fs/promises';
import { invalidCdc } from './batchCheck.js';
import { describePosition, readCheckpoint, SINK_FILE, writeCheckpoint } from './fileCheckpoint.js';
import type { FileCheckpoint, StoredCheckpoint } from './fileCheckpoint.js';
import { chainStart, checkpointMismatch, scanChain } from './sinkChain.js';

/** What to do when the checkpoint and the sink cannot be reconciled as they are. */
export type FileCdcRecovery = 'fail' | 'scan';

/** What {@link reconcileSink} needs. */
export interface ReconcileInput {
  readonly key: string;
  /** The sink directory (resolved, existing). */
  readonly directory: string;
  readonly fromLsn: bigint | undefined;
  readonly recovery: FileCdcRecovery;
  readonly maxBatchBytes: number;
  /** A checkpoint this process validated or wrote while it held the sink's lock since (skips the scan when it is the one on disk). */
  readonly validated: FileCheckpoint | undefined;
}

/** The reconciled sink: its file (truncated to the checkpoint) and the checkpoint. */
export interface ReconciledSink {
  readonly handle: FileHandle;
  readonly durable: FileCheckpoint;
}

function corrupt(key: string, message: string, cause?: unknown): ReloadError {
  return new ReloadError({
    code: 'CORRUPT_INPUT',
    phase: 'decode',
    kind: 'cdcOutput',
    key,
    message: `CDC '${key}': ${message}`,
    ...(cause === undefined ? {} : { cause }),
  });
}

/** Whether two states agree (`positionsOnly`: a format-1 checkpoint, which has no chain fields). */
const sameState = (a: FileCheckpoint, b: FileCheckpoint, positionsOnly: boolean): boolean =>
  a.lsn === b.lsn &&
  a.offset === b.offset &&
  a.lastRecordOffset === b.lastRecordOffset &&
  a.baseLsn === b.baseLsn &&
  (positionsOnly || (a.generation === b.generation && a.records === b.records && a.digest === b.digest));

/**
 * Brings the sink file back to what is committed, then checks `fromLsn` against it.
 *
 * - No checkpoint and an empty (or missing) sink: a new sink starting at `fromLsn ?? 0n`.
 * - A checkpoint: the chain of committed records before its offset is checked whole (see
 *   `sinkChain.ts`: ascending, non-overlapping batches, every commit marker and the checkpoint
 *   agreeing with the records before them); a mismatch is `CORRUPT_INPUT` naming the record. This
 *   reads the committed part once per process: a start in a process that holds the sink's lock
 *   since it validated or wrote the checkpoint on disk (a reload's handoff) skips it.
 * - Bytes after the checkpoint's offset: batches never acknowledged, or a torn tail, are cut off.
 *   A commit marker among them means a later checkpoint committed them: the one right after the
 *   checkpoint's generation is what a crash between syncing the sink and replacing the checkpoint
 *   leaves, and the checkpoint rolls forward to it; a later one means the checkpoint is older than
 *   the sink (restored from a backup): `CORRUPT_INPUT` naming both positions, nothing is cut (with
 *   recovery `scan`, the checkpoint rolls forward to the sink's last commit).
 * - Anything else (corrupt or missing checkpoint over a non-empty sink, a sink shorter than its
 *   checkpoint, a broken chain): `CORRUPT_INPUT` with recovery `fail`; with `scan`, the longest
 *   valid chain of whole records becomes the new checkpoint (the host re-delivers from its own
 *   resume point, and batches the sink already holds are skipped, so nothing is written twice).
 *
 * `fromLsn` ahead of the reconciled LSN would lose batches: `INVALID_ARGUMENT`. Behind it, the stream
 * starts at the reconciled LSN and skips re-delivered batches. File-system failures are `IO_FAILED`.
 */
export async function reconcileSink(input: ReconcileInput): Promise<ReconciledSink> {
  const path = join(input.directory, SINK_FILE);
  const io = { kind: 'cdcOutput', key: input.key, step: 'start', prefix: `CDC '${input.key}': ` };
  const handle = await withIo('open sink', path, () => open(path, constants.O_RDWR | constants.O_CREAT, 0o600), io);
  try {
    const durable = await withIo('reconcile sink', path, () => reconciled(handle, input), io);
    if (input.fromLsn !== undefined && input.fromLsn > durable.lsn) {
      throw invalidCdc(
        { key: input.key },
        `start({ fromLsn: ${input.fromLsn} }) is ahead of what the sink in ${input.directory} holds (complete through ${durable.lsn}); ` +
          `starting there would lose batches [${durable.lsn}, ${input.fromLsn}). Resume from ${durable.lsn} or use a new directory`,
      );
    }
    return { handle, durable };
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
}

async function reconciled(handle: FileHandle, input: ReconcileInput): Promise<FileCheckpoint> {
  const { key, directory } = input;
  let checkpoint: StoredCheckpoint | undefined;
  let problem: string;
  let cause: unknown;
  try {
    checkpoint = await readCheckpoint(directory, key);
  } catch (error) {
    if (!(error instanceof ReloadError) || error.code !== 'CORRUPT_INPUT') throw error;
    cause = error;
  }
  const size = (await handle.stat()).size;
  if (checkpoint) {
    const checked = await checkCommitted(handle, checkpoint, size, input);
    if (typeof checked !== 'string') return settleTail(handle, input, checked, size);
    problem = `the sink does not match its checkpoint (${checked})`;
  } else if (cause === undefined) {
    if (size === 0) {
      const fresh = chainStart(input.fromLsn ?? 0n);
      await writeCheckpoint(directory, key, fresh);
      return fresh;
    }
    problem = `the checkpoint is missing but the sink holds ${size} bytes`;
  } else {
    problem = (cause as Error).message;
  }
  if (input.recovery === 'fail')
    throw corrupt(
      key,
      `${problem}; start with recovery: 'scan' to rebuild the checkpoint from the sink's whole records`,
      cause,
    );
  return rebuild(handle, input, size);
}

/**
 * The chain state of the committed part of the sink (the checkpoint, with the chain fields a
 * format-1 checkpoint lacks), or why it does not agree with `checkpoint`.
 */
async function checkCommitted(
  handle: FileHandle,
  checkpoint: StoredCheckpoint,
  size: number,
  input: ReconcileInput,
): Promise<FileCheckpoint | string> {
  if (size < checkpoint.offset) return `the sink holds ${size} bytes, the checkpoint covers ${checkpoint.offset}`;
  const cached = input.validated;
  if (cached && sameState(cached, checkpoint, checkpoint.format === 1)) return cached;
  const scan = await scanChain(handle, chainStart(checkpoint.baseLsn), checkpoint.offset, input.maxBatchBytes);
  if (scan.defect !== undefined) return `committed ${scan.defect}`;
  return checkpointMismatch(scan.end, checkpoint) ?? scan.end;
}

/**
 * Cuts the bytes after the committed part, or rolls the checkpoint forward to a commit marker
 * found there. A format-1 checkpoint is left as it is unless it rolls forward, so code that
 * predates commit markers can still restart on the sink (a reload rolled back) until the new
 * code checkpoints batches.
 */
async function settleTail(
  handle: FileHandle,
  input: ReconcileInput,
  committed: FileCheckpoint,
  size: number,
): Promise<FileCheckpoint> {
  if (size === committed.offset) return committed;
  const tail = await scanChain(handle, committed, size, input.maxBatchBytes);
  const later = tail.committed;
  if (later && later.generation > committed.generation + 1 && input.recovery === 'fail') {
    throw corrupt(
      input.key,
      `the checkpoint is older than the sink: it says ${describePosition(committed)}, but the sink holds commits ` +
        `through ${describePosition(later)} (a checkpoint restored from an older copy?). Nothing was cut; ` +
        `start with recovery: 'scan' to adopt the sink's commits`,
    );
  }
  const target = later ?? committed;
  await cut(handle, target.offset);
  if (later) await writeCheckpoint(input.directory, input.key, target);
  return target;
}

/** Recovery `scan`: the longest valid chain of whole records becomes the checkpoint. */
async function rebuild(handle: FileHandle, input: ReconcileInput, size: number): Promise<FileCheckpoint> {
  let first: bigint | undefined;
  const scan = await scanChain(handle, chainStart(0n), size, input.maxBatchBytes, (record) => {
    first ??= record.header.lsnStart;
  });
  const baseLsn = first ?? input.fromLsn ?? 0n;
  const checkpoint: FileCheckpoint = {
    ...scan.end,
    baseLsn,
    lsn: scan.end.lastRecordOffset < 0 ? baseLsn : scan.end.lsn,
  };
  if (size > checkpoint.offset) await cut(handle, checkpoint.offset);
  await writeCheckpoint(input.directory, input.key, checkpoint);
  return checkpoint;
}

/** Truncates the sink to `offset` durably (uncheckpointed or torn bytes). */
async function cut(handle: FileHandle, offset: number): Promise<void> {
  await handle.truncate(offset);
  await handle.datasync();
}
