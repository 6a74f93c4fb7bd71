import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { ReloadError } from '@baton/core';
import type { FileHandle } from 'node:fs/promises';
import { invalidCdc } from './batchCheck.js';
import { readCheckpoint, SINK_FILE, writeCheckpoint } from './fileCheckpoint.js';
import type { FileCheckpoint } from './fileCheckpoint.js';
import { readRecordAt, scanRecords } from './sinkRecord.js';

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

/**
 * Brings the sink file back to what the checkpoint says is durable, then checks `fromLsn` against it.
 *
 * - No checkpoint and an empty (or missing) sink: a new sink starting at `fromLsn ?? 0n`.
 * - A checkpoint: bytes after its offset (written after the last checkpoint, or torn by a crash) are
 *   cut off; the last committed record must be where the checkpoint says, whole and ending at its LSN.
 * - Anything else (corrupt or missing checkpoint over a non-empty sink, a sink shorter than its
 *   checkpoint): `CORRUPT_INPUT` with recovery `fail`; with `scan`, the longest prefix of whole records
 *   becomes the new checkpoint (the host re-delivers from its own resume point, and batches the sink
 *   already holds are skipped, so nothing is written twice).
 *
 * `fromLsn` ahead of the reconciled LSN would lose batches: `INVALID_ARGUMENT`. Behind it, the stream
 * starts at the reconciled LSN and skips re-delivered batches.
 */
export async function reconcileSink(input: ReconcileInput): Promise<ReconciledSink> {
  const handle = await open(join(input.directory, SINK_FILE), constants.O_RDWR | constants.O_CREAT, 0o600);
  try {
    const durable = await reconciled(handle, input);
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
  let checkpoint: FileCheckpoint | undefined;
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
    const defect = await checkpointDefect(handle, checkpoint, size, input.maxBatchBytes);
    if (defect === undefined) {
      if (size > checkpoint.offset) await cut(handle, checkpoint.offset);
      return checkpoint;
    }
    problem = `the sink does not match its checkpoint (${defect})`;
  } else if (cause === undefined) {
    if (size === 0) {
      const base = input.fromLsn ?? 0n;
      const fresh: FileCheckpoint = { lsn: base, offset: 0, lastRecordOffset: -1, baseLsn: base };
      await writeCheckpoint(directory, fresh);
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

/** Why the sink does not agree with `checkpoint`, or undefined when it does. */
async function checkpointDefect(
  handle: FileHandle,
  checkpoint: FileCheckpoint,
  size: number,
  maxBatchBytes: number,
): Promise<string | undefined> {
  if (size < checkpoint.offset) return `the sink holds ${size} bytes, the checkpoint covers ${checkpoint.offset}`;
  if (checkpoint.lastRecordOffset < 0) return undefined;
  const last = await readRecordAt(handle, checkpoint.lastRecordOffset, checkpoint.offset, maxBatchBytes);
  if (typeof last === 'string') return `last committed ${last}`;
  if (last.end !== checkpoint.offset || last.header.lsnEnd !== checkpoint.lsn) {
    return `the last committed record [${last.header.lsnStart}, ${last.header.lsnEnd}) ends at byte ${last.end}, the checkpoint says LSN ${checkpoint.lsn} at byte ${checkpoint.offset}`;
  }
  return undefined;
}

/** Recovery `scan`: the longest prefix of whole, ascending records becomes the checkpoint. */
async function rebuild(handle: FileHandle, input: ReconcileInput, size: number): Promise<FileCheckpoint> {
  const scan = scanRecords(handle, 0, size, input.maxBatchBytes);
  let first: bigint | undefined;
  let lastRecordOffset = -1;
  let lsn: bigint | undefined;
  let step = await scan.next();
  while (!step.done) {
    first ??= step.value.header.lsnStart;
    lastRecordOffset = step.value.offset;
    lsn = step.value.header.lsnEnd;
    step = await scan.next();
  }
  const offset = step.value.end;
  const baseLsn = first ?? input.fromLsn ?? 0n;
  const checkpoint: FileCheckpoint = { lsn: lsn ?? baseLsn, offset, lastRecordOffset, baseLsn };
  if (size > offset) await cut(handle, offset);
  await writeCheckpoint(input.directory, checkpoint);
  return checkpoint;
}

/** Truncates the sink to `offset` durably (uncheckpointed or torn bytes). */
async function cut(handle: FileHandle, offset: number): Promise<void> {
  await handle.truncate(offset);
  await handle.datasync();
}
