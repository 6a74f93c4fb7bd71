import { join } from 'node:path';
import { ReloadError } from '@baton/core';
import { ioFailed, openRegularFileIfExists } from '@baton/core/durable';
import type { CdcBatch } from '@baton/core';
import { checkCdcOptions, checkDirectoryArg, checkPositiveInteger } from './cdcArgs.js';
import { readCheckpoint, SINK_FILE } from './fileCheckpoint.js';
import { chainStart, checkpointMismatch, scanChain } from './sinkChain.js';
import { decodeRecord, DEFAULT_MAX_RECORD_BYTES } from './sinkRecord.js';

/** What a file CDC sink holds. */
export interface FileSinkContents {
  /** LSN through which the sink is complete (its checkpoint); undefined when it has none yet. */
  readonly checkpointLsn: bigint | undefined;
  /** LSN the sink started at; undefined when it has no checkpoint. */
  readonly baseLsn: bigint | undefined;
  /** The committed batches, in LSN order. */
  readonly batches: readonly CdcBatch[];
  /** Bytes after the committed part (written after the last checkpoint, or torn); the next start cuts them off. */
  readonly uncommittedBytes: number;
}

/** Options of {@link readFileSink}. */
export interface ReadFileSinkOptions {
  /** Largest Arrow payload of one batch, in bytes (default 256 MiB). */
  readonly maxBatchBytes?: number;
}

/**
 * Reads the committed batches of the file CDC sink in `directory` (what `checkpoint()` made
 * durable), decoding each record's Arrow payload. It only reads (and takes no lock), so it may run
 * while a stream writes. Rejects with `CORRUPT_INPUT` when the checkpoint or a committed record is
 * damaged, when the committed records do not form the chain the checkpoint describes (an overlap,
 * a record missing, extra, replaced or moved), or when a record's Arrow payload declares lengths
 * its bytes do not back; with `IO_FAILED` when a file cannot be read or is not a regular file (a
 * FIFO, a device or a symbolic link is never opened in a way that blocks or follows it). Work and
 * memory are linear in the committed size: every length is checked against the bytes present
 * before anything is allocated for it. A committed record larger than `maxBatchBytes` is
 * `CORRUPT_INPUT` naming the limit (read it with a larger one). A wrong-typed argument or an
 * unknown option is `INVALID_ARGUMENT`.
 */
export async function readFileSink(directory: string, options: ReadFileSinkOptions = {}): Promise<FileSinkContents> {
  const context = { key: String(directory) };
  checkDirectoryArg(directory, context, 'readFileSink');
  const checked = checkCdcOptions<ReadFileSinkOptions>(options, ['maxBatchBytes'], 'readFileSink options', context);
  const maxBatchBytes = checkPositiveInteger('maxBatchBytes', checked.maxBatchBytes, DEFAULT_MAX_RECORD_BYTES, context);
  const key = directory;
  const path = join(directory, SINK_FILE);
  const io = { kind: 'cdcOutput', key, phase: 'decode' as const };
  const checkpoint = await readCheckpoint(directory, key);
  const opened = await openRegularFileIfExists(path, { operation: 'open sink', errorContext: io });
  const handle = opened?.handle;
  const fail = (message: string): ReloadError =>
    new ReloadError({
      code: 'CORRUPT_INPUT',
      phase: 'decode',
      kind: 'cdcOutput',
      key,
      message: `file CDC sink ${directory}: ${message}`,
    });
  try {
    const size = opened?.size ?? 0;
    const committed = checkpoint?.offset ?? 0;
    if (size < committed) throw fail(`the sink holds ${size} bytes but its checkpoint covers ${committed}`);
    const batches: CdcBatch[] = [];
    if (handle && checkpoint && committed > 0) {
      let problem: string | undefined;
      const scan = await scanChain(
        handle,
        chainStart(checkpoint.baseLsn),
        committed,
        { maxPayloadBytes: maxBatchBytes },
        (record) => {
          if (problem !== undefined) return;
          // The scan's payload is a view into its read window: decode a copy the batch may keep.
          const batch = decodeRecord({ ...record, payload: record.payload!.slice() });
          if (typeof batch === 'string') problem = batch;
          else batches.push(batch);
        },
      ).catch((error: unknown) => Promise.reject(ioFailed('read sink', path, error, io)));
      if (problem !== undefined) throw fail(problem);
      if (scan.defect !== undefined) throw fail(`committed ${scan.defect}`);
      const mismatch = checkpointMismatch(scan.end, checkpoint);
      if (mismatch !== undefined) throw fail(mismatch);
    } else if (checkpoint && checkpoint.lsn !== checkpoint.baseLsn) {
      throw fail(`the sink holds no committed record, the checkpoint says LSN ${checkpoint.lsn}`);
    }
    return {
      checkpointLsn: checkpoint?.lsn,
      baseLsn: checkpoint?.baseLsn,
      batches,
      uncommittedBytes: size - committed,
    };
  } finally {
    await handle?.close();
  }
}
