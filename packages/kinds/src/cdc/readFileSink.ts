import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { ReloadError } from '@baton/core';
import type { CdcBatch } from '@baton/core';
import { readCheckpoint, SINK_FILE } from './fileCheckpoint.js';
import { decodeRecord, DEFAULT_MAX_RECORD_BYTES, scanRecords } from './sinkRecord.js';

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
 * durable), decoding each record's Arrow payload. It only reads, so it may run while a stream
 * writes. Rejects with `CORRUPT_INPUT` when the checkpoint or a committed record is damaged.
 */
export async function readFileSink(directory: string, options: ReadFileSinkOptions = {}): Promise<FileSinkContents> {
  const key = directory;
  const checkpoint = await readCheckpoint(directory, key);
  let handle;
  try {
    handle = await open(join(directory, SINK_FILE), 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  try {
    const size = handle ? (await handle.stat()).size : 0;
    const committed = checkpoint?.offset ?? 0;
    const fail = (message: string): ReloadError =>
      new ReloadError({
        code: 'CORRUPT_INPUT',
        phase: 'decode',
        kind: 'cdcOutput',
        key,
        message: `file CDC sink ${directory}: ${message}`,
      });
    if (size < committed) throw fail(`the sink holds ${size} bytes but its checkpoint covers ${committed}`);
    const batches: CdcBatch[] = [];
    if (handle && committed > 0) {
      const scan = scanRecords(handle, 0, committed, options.maxBatchBytes ?? DEFAULT_MAX_RECORD_BYTES);
      let step = await scan.next();
      while (!step.done) {
        const batch = decodeRecord(step.value);
        if (typeof batch === 'string') throw fail(batch);
        batches.push(batch);
        step = await scan.next();
      }
      if (step.value.defect !== undefined) throw fail(`committed ${step.value.defect}`);
    }
    if (checkpoint && (batches.at(-1)?.lsnEnd ?? checkpoint.baseLsn) !== checkpoint.lsn) {
      throw fail(
        `the committed records end at LSN ${batches.at(-1)?.lsnEnd ?? checkpoint.baseLsn}, the checkpoint says ${checkpoint.lsn}`,
      );
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
