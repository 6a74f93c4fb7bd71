import { constants } from 'node:fs';
import { join } from 'node:path';
import { ReloadError } from '@baton/core';
import { openRegularFile, withIo } from '@baton/core/durable';
import type { FileHandle } from 'node:fs/promises';
import { invalidCdc } from './batchCheck.js';
import { describePosition, readCheckpoint, SINK_FILE, writeCheckpoint } from './fileCheckpoint.js';
import type { FileCheckpoint, StoredCheckpoint } from './fileCheckpoint.js';
import { chainStart, checkpointMismatch, scanChain } from './sinkChain.js';
import { findCommitMarker } from './sinkMarkerSearch.js';
import { salvageSinkTail } from './sinkSalvage.js';

/** What to do when the checkpoint and the sink cannot be reconciled as they are. */
export type FileCdcRecovery = 'fail' | 'scan';

/** What {@link reconcileSink} needs. */
export interface ReconcileInput {
  readonly key: string;
  /** The sink directory (resolved, existing). */
  readonly directory: string;
  readonly fromLsn: bigint | undefined;
  readonly recovery: FileCdcRecovery;
  /** A checkpoint this process validated or wrote while it held the sink's lock since (skips the scan when it is the one on disk). */
  readonly validated: FileCheckpoint | undefined;
  /** Called between steps and reads; throws (`ABORTED`) when the start was aborted. */
  readonly poll: () => void;
}

/** The reconciled sink: its file (truncated to the checkpoint) and the checkpoint. */
export interface ReconciledSink {
  readonly handle: FileHandle;
  readonly durable: FileCheckpoint;
  /** The file recovery `scan` saved cut bytes to (see `sinkSalvage.ts`), if it did. */
  readonly salvaged: string | undefined;
}

/** What a start does to the files once every check has passed: nothing is changed before. */
interface Plan {
  readonly durable: FileCheckpoint;
  /** The sink is cut back to this many bytes. */
  readonly cutAt?: number;
  /** The bytes cut are not provably uncommitted: they are saved beside the sink first. */
  readonly salvage?: boolean;
  /** The checkpoint file is replaced by `durable`. */
  readonly write: boolean;
}

function corrupt(key: string, message: string, cause?: unknown, details?: Record<string, unknown>): ReloadError {
  return new ReloadError({
    code: 'CORRUPT_INPUT',
    phase: 'decode',
    kind: 'cdcOutput',
    key,
    message: `CDC '${key}': ${message}`,
    ...(cause === undefined ? {} : { cause }),
    ...(details === undefined ? {} : { details }),
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
 * Brings the sink file back to what is committed, then checks `fromLsn` against it. Every check
 * comes first: a refusal (`CORRUPT_INPUT`, `INVALID_ARGUMENT`, `ABORTED`) leaves both files exactly
 * as they were, and bytes are only ever cut once they are proven to be an unacknowledged tail.
 *
 * - No checkpoint and an empty (or missing) sink: a new sink starting at `fromLsn ?? 0n`.
 * - A checkpoint: the chain of committed records before its offset is checked whole (see
 *   `sinkChain.ts`: ascending, non-overlapping batches, every commit marker and the checkpoint
 *   agreeing with the records before them); a mismatch is `CORRUPT_INPUT` naming the record. This
 *   reads the committed part once per process: a start in a process that holds the sink's lock
 *   since it validated or wrote the checkpoint on disk (a reload's handoff) skips it.
 * - Bytes after the checkpoint's offset are followed record by record. A commit marker among them
 *   means a later checkpoint committed them: the one right after the checkpoint's generation is
 *   what a crash between syncing the sink and replacing the checkpoint leaves, and the checkpoint
 *   rolls forward to it; a later one means the checkpoint is older than the sink (restored from a
 *   backup): `CORRUPT_INPUT` naming both positions. Where the records stop being whole (a torn
 *   write, a damaged record), the rest is searched byte by byte for a checksummed commit marker
 *   (`sinkMarkerSearch.ts`): with none, the rest is a torn or unacknowledged tail and is cut; with
 *   one, batches after the damage were committed, and the start is `CORRUPT_INPUT` naming the
 *   damaged offset and the marker. The limit on a batch's size plays no part: records are
 *   checksummed in chunks, never read whole.
 * - Anything else (corrupt or missing checkpoint over a non-empty sink, a sink shorter than its
 *   checkpoint, a broken chain): `CORRUPT_INPUT` with recovery `fail`.
 *
 * With recovery `scan`, the refusals above adopt what is provably committed instead: the sink's
 * last commit (a checkpoint older than the sink, damage in the tail), or the longest valid chain of
 * whole records (a broken checkpoint or chain). Bytes cut then that are not provably uncommitted
 * are first saved to a file beside the sink (`salvaged`). The host re-delivers from its own
 * resume point, and batches the sink already holds are skipped, so nothing is written twice.
 *
 * `fromLsn` ahead of the reconciled LSN would lose batches: `INVALID_ARGUMENT`. Behind it, the stream
 * starts at the reconciled LSN and skips re-delivered batches. File-system failures are `IO_FAILED`,
 * and so is a sink path holding anything but a regular file (a FIFO, a device, a symbolic link).
 */
export async function reconcileSink(input: ReconcileInput): Promise<ReconciledSink> {
  const path = join(input.directory, SINK_FILE);
  const io = { kind: 'cdcOutput', key: input.key, step: 'start', prefix: `CDC '${input.key}': ` };
  const { handle, size } = await openRegularFile(path, {
    flags: constants.O_RDWR | constants.O_CREAT,
    mode: 0o600,
    operation: 'open sink',
    errorContext: io,
  });
  try {
    const plan = await withIo('reconcile sink', path, () => planFor(handle, size, input), io);
    const { durable } = plan;
    if (input.fromLsn !== undefined && input.fromLsn > durable.lsn) {
      throw invalidCdc(
        { key: input.key },
        `start({ fromLsn: ${input.fromLsn} }) is ahead of what the sink in ${input.directory} holds (complete through ${durable.lsn}); ` +
          `starting there would lose batches [${durable.lsn}, ${input.fromLsn}). Resume from ${durable.lsn} or use a new directory`,
      );
    }
    input.poll();
    let salvaged: string | undefined;
    if (plan.cutAt !== undefined && plan.salvage)
      salvaged = await salvageSinkTail(input.directory, handle, plan.cutAt, size, io);
    if (plan.cutAt !== undefined) await withIo('cut sink', path, () => cut(handle, plan.cutAt!), io);
    if (plan.write) await writeCheckpoint(input.directory, input.key, durable);
    return { handle, durable, salvaged };
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
}

async function planFor(handle: FileHandle, size: number, input: ReconcileInput): Promise<Plan> {
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
  input.poll();
  if (checkpoint) {
    const checked = await checkCommitted(handle, checkpoint, size, input);
    if (typeof checked !== 'string') return settleTail(handle, input, checked, size);
    problem = `the sink does not match its checkpoint (${checked})`;
  } else if (cause === undefined) {
    if (size === 0) return { durable: chainStart(input.fromLsn ?? 0n), write: true };
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
  const scan = await scanChain(handle, chainStart(checkpoint.baseLsn), checkpoint.offset, {
    batchPayloads: false,
    poll: input.poll,
  });
  if (scan.defect !== undefined) return `committed ${scan.defect}`;
  return checkpointMismatch(scan.end, checkpoint) ?? scan.end;
}

/**
 * What to do with the bytes after the committed part: cut them, or roll the checkpoint forward to
 * a commit marker found there (see {@link reconcileSink}). A format-1 checkpoint is left as it is
 * unless it rolls forward, so code that predates commit markers can still restart on the sink (a
 * reload rolled back) until the new code checkpoints batches.
 */
async function settleTail(
  handle: FileHandle,
  input: ReconcileInput,
  committed: FileCheckpoint,
  size: number,
): Promise<Plan> {
  if (size === committed.offset) return { durable: committed, write: false };
  const tail = await scanChain(handle, committed, size, { batchPayloads: false, poll: input.poll });
  const later = tail.committed;
  const scan = input.recovery === 'scan';
  if (later && later.generation > committed.generation + 1 && !scan) {
    throw corrupt(
      input.key,
      `the checkpoint is older than the sink: it says ${describePosition(committed)}, but the sink holds commits ` +
        `through ${describePosition(later)}${tail.defect === undefined ? '' : ' at least'} (a checkpoint restored from an older copy?). Nothing was cut; ` +
        `start with recovery: 'scan' to adopt the sink's commits`,
    );
  }
  const target = later ?? committed;
  let salvage = false;
  if (tail.defect !== undefined) {
    const damaged = tail.end.offset;
    const beyond = await findCommitMarker(handle, damaged, size, input.poll);
    if (beyond && !scan) {
      const { generation, lsn } = beyond.marker;
      throw corrupt(
        input.key,
        `the sink is damaged at byte ${damaged}, after its commit at ${describePosition(target)}: ${tail.defect}; ` +
          `a checksummed commit marker at byte ${beyond.offset} (generation ${generation}, LSN ${lsn}) follows the damage, ` +
          `so batches after it were committed and cutting the sink would lose them. Nothing was changed; restore the sink ` +
          `from a copy, or start with recovery: 'scan' to continue from what is provably committed (the bytes after byte ` +
          `${target.offset} are saved beside the sink first)`,
        undefined,
        { damagedAt: damaged, markerAt: beyond.offset, committed: describePosition(target) },
      );
    }
    salvage = beyond !== undefined;
  }
  return {
    durable: target,
    ...(target.offset < size ? { cutAt: target.offset, salvage } : {}),
    write: later !== undefined,
  };
}

/** Recovery `scan`: the longest valid chain of whole records becomes the checkpoint. */
async function rebuild(handle: FileHandle, input: ReconcileInput, size: number): Promise<Plan> {
  let first: bigint | undefined;
  const scan = await scanChain(handle, chainStart(0n), size, { batchPayloads: false, poll: input.poll }, (record) => {
    first ??= record.header.lsnStart;
  });
  const baseLsn = first ?? input.fromLsn ?? 0n;
  const checkpoint: FileCheckpoint = {
    ...scan.end,
    baseLsn,
    lsn: scan.end.lastRecordOffset < 0 ? baseLsn : scan.end.lsn,
  };
  if (size === checkpoint.offset) return { durable: checkpoint, write: true };
  // Without a trusted checkpoint, the rest is provably uncommitted only if the sink's writer marks
  // its commits (a marker before) and no marker follows.
  const beyond = await findCommitMarker(handle, checkpoint.offset, size, input.poll);
  const salvage = beyond !== undefined || scan.committed === undefined;
  return { durable: checkpoint, cutAt: checkpoint.offset, salvage, write: true };
}

/** Truncates the sink to `offset` durably (uncheckpointed or torn bytes). */
async function cut(handle: FileHandle, offset: number): Promise<void> {
  await handle.truncate(offset);
  await handle.datasync();
}
