import { mkdir, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { removeStaleTempFiles, withIo } from '@baton/core/durable';
import type { CallOptions, CdcOutputProvider, CdcStartOptions, CdcTakeover } from '@baton/core';
import { checkLsn, closedCdc, invalidCdc, throwIfAborted } from './batchCheck.js';
import { checkCallOptions, checkCdcOptions, checkDirectoryArg, checkPositiveInteger } from './cdcArgs.js';
import { CHECKPOINT_FILE } from './fileCheckpoint.js';
import { FileCdcStream } from './fileCdcStream.js';
import { adoptTakeover } from './fileCdcTakeover.js';
import { beginSinkStart, holdSinkLock } from './sinkLock.js';
import type { SinkLease } from './sinkLock.js';
import { claimSink, releaseSink, transferSink } from './sinkOwnership.js';
import { reconcileSink } from './sinkReconcile.js';
import type { FileCdcRecovery } from './sinkReconcile.js';
import { DEFAULT_MAX_RECORD_BYTES } from './sinkRecord.js';

/** Options of {@link fileCdcOutput}. */
export interface FileCdcOutputOptions {
  /** The output's name (registry key). */
  readonly name: string;
  /** Directory of the sink (created if missing). It holds `changes.bcdc` and `checkpoint.bin`. */
  readonly directory: string;
  /**
   * When the checkpoint is corrupt or missing, the sink does not match it, the checkpoint is older
   * than commits the sink holds (restored from a backup), or a damaged record lies before a commit
   * marker: `fail` (default) throws `CORRUPT_INPUT` naming what does not match, and changes
   * nothing; `scan` rebuilds the checkpoint from the sink's longest valid chain of whole records (or
   * adopts the sink's last provable commit), saving bytes it cuts that are not provably uncommitted
   * to a file beside the sink first (`FileCdcStream.salvaged`).
   */
  readonly recovery?: FileCdcRecovery;
  /**
   * Largest Arrow payload of one batch `deliver` writes, in bytes (default 256 MiB). It does not
   * decide what a start keeps: records already in the sink are checksummed whatever their size.
   */
  readonly maxBatchBytes?: number;
  /** Records are buffered in memory up to this many bytes before they are written (default 1 MiB). */
  readonly bufferBytes?: number;
}

/** A file CDC output provider. */
export interface FileCdcOutput extends CdcOutputProvider {
  /** The sink directory, as configured. */
  readonly directory: string;
  start(options: CdcStartOptions): Promise<FileCdcStream>;
  /**
   * Continues a stream of this output that was detached in this process (`FileCdcStream.detach`,
   * layout `file-cdc/1`, possibly by another version of this package), without I/O: the new stream
   * owns the open sink and the lock from then on, appends after the detached stream's last batch,
   * and its next `checkpoint` makes the detached stream's buffered records durable too. `undefined`
   * for another layout (the takeover stays open). A takeover of another output or sink directory,
   * or whose state is malformed or inconsistent, is `INVALID_ARGUMENT` naming what does not match,
   * and one adopted, closed, or fenced by a newer `start` already is `RESOURCE_CLOSED`: nothing is
   * taken over, and an open takeover stays open for `close`. The directory is compared as
   * configured first, and only when it differs from the sink's real path resolved synchronously (a
   * relative path or a symbolic link). Wrong-typed `options` are `INVALID_ARGUMENT`, an aborted
   * `signal` is `ABORTED`.
   */
  adopt(takeover: CdcTakeover, options?: CallOptions): Promise<FileCdcStream | undefined>;
}

const DEFAULT_BUFFER_BYTES = 1024 * 1024;
const OPTIONS = ['name', 'directory', 'recovery', 'maxBatchBytes', 'bufferBytes'] as const;

/**
 * A CDC output writing batches to files in `directory`: an append-only sink of Arrow IPC stream
 * records and commit markers (`changes.bcdc`), a checksummed, atomically replaced checkpoint
 * (`checkpoint.bin`) saying how many bytes of the sink are committed and through which LSN, and a
 * lock file (`sink.lock`).
 *
 * Exactly once: `checkpoint()` makes the sink durable before the checkpoint moves; `start` checks
 * the committed chain of records, cuts the sink back to the checkpoint (dropping batches written
 * after it and torn tails, once no commit marker among them proves them committed; every refusal
 * comes before any byte is changed) and skips re-delivered batches that end at or before it. A reload
 * handoff (checkpoint → shutdown → start on the new version over the same directory) and a
 * crash/restart therefore neither lose nor duplicate a batch.
 *
 * In-memory handoff: a reload inside one process can skip the checkpoint, close and re-open.
 * `stream.detach()` hands the open sink, the lock lease, the checkpoints and the buffered records
 * to a takeover (layout `file-cdc/1`) and `adopt(takeover)` on the new version's provider continues
 * the stream exactly (see {@link FileCdcOutput.adopt}); neither does I/O. A takeover nobody adopts
 * is `close()`d: checkpoint, then release, returning the LSN to `start` from. What the detached
 * stream delivered becomes durable at the adopted stream's next checkpoint; a crash before it
 * loses only batches delivered since the last checkpoint, which the source re-delivers.
 *
 * One writer: the latest stream started on a directory fences older ones in this process, and the
 * process holds an exclusive lock on the directory against other processes from the first start
 * until its last stream there is shut down (across reload handoffs). A `start` in a second process
 * is `LOCKED` (retryable) naming the holder's pid, host and since when; the lock of a process that
 * died (same host: pid gone or reused, checked with its start time) is taken over. A holder on
 * another host cannot be checked: remove its lock file by hand once that host is gone.
 *
 * A wrong-typed option, an unknown one (`maxBatchByte`), or a wrong-typed `start` argument is
 * `INVALID_ARGUMENT`. A `start` honours its `signal` (`ABORTED`) while it waits for the lock and
 * between its steps; a start that fails for any reason leaves the lock to whoever holds it next.
 * Every state file is opened without blocking or following a symbolic link and must be a regular
 * file: a FIFO, device, directory or link planted as one is `IO_FAILED` naming it.
 */
export function fileCdcOutput(options: FileCdcOutputOptions): FileCdcOutput {
  const unnamed = { key: String((options as { name?: unknown } | null | undefined)?.name) };
  if (options === undefined) throw invalidCdc(unnamed, 'fileCdcOutput needs options { name, directory }');
  const checked = checkCdcOptions<FileCdcOutputOptions>(options, OPTIONS, 'fileCdcOutput options', unnamed);
  const { name } = checked;
  if (typeof name !== 'string' || name === '') throw invalidCdc(unnamed, 'name must be a non-empty string');
  const directory = checkDirectoryArg(checked.directory, { key: name }, 'fileCdcOutput');
  const recovery = checked.recovery ?? 'fail';
  if (recovery !== 'fail' && recovery !== 'scan')
    throw invalidCdc({ key: name }, `recovery must be 'fail' or 'scan' (got ${String(recovery)})`);
  const maxBatchBytes = checkPositiveInteger('maxBatchBytes', checked.maxBatchBytes, DEFAULT_MAX_RECORD_BYTES, {
    key: name,
  });
  const bufferBytes = checkPositiveInteger('bufferBytes', checked.bufferBytes, DEFAULT_BUFFER_BYTES, { key: name });

  return {
    name,
    directory,
    async start(args: CdcStartOptions = {}): Promise<FileCdcStream> {
      const startOptions = checkCallOptions<CdcStartOptions>(args, 'start options', { key: name });
      const fromLsn =
        startOptions.fromLsn === undefined ? undefined : checkLsn(startOptions.fromLsn, 'fromLsn', { key: name });
      const { signal } = startOptions;
      const poll = (): void => {
        throwIfAborted(signal, { key: name }, 'start');
      };
      poll();
      const io = { kind: 'cdcOutput', key: name, step: 'start', prefix: `CDC '${name}': ` };
      // Synchronously, before anything is awaited: the lock a shutdown just let go of stays held.
      const started = beginSinkStart(name);
      let lease: SinkLease | undefined;
      try {
        await withIo('create directory', directory, () => mkdir(directory, { recursive: true }), io);
        const resolved = await withIo('resolve directory', directory, () => realpath(directory), io);
        lease = await holdSinkLock(resolved, name, signal);
        poll();
        // Claim first: an older stream on this sink is fenced and its in-flight I/O has settled.
        let ready!: (stream: FileCdcStream | undefined) => void;
        const settled = new Promise<FileCdcStream | undefined>((resolve) => (ready = resolve));
        const claim = {
          idle: async () => {
            await (await settled)?.idle();
          },
        };
        await claimSink(resolved, claim);
        try {
          await removeStaleTempFiles(join(resolved, CHECKPOINT_FILE), io);
          const { handle, durable, salvaged } = await reconcileSink({
            key: name,
            directory: resolved,
            fromLsn,
            recovery,
            validated: lease.validated,
            poll,
          });
          lease.validated = durable;
          const stream = FileCdcStream.create({
            key: name,
            directory: resolved,
            handle,
            durable,
            maxBatchBytes,
            bufferBytes,
            lease,
            salvaged,
          });
          if (!transferSink(resolved, claim, stream)) {
            await handle.close();
            throw closedCdc({ key: name }, 'start', `a newer start on ${resolved} took the sink over`);
          }
          lease = undefined; // the stream releases it
          ready(stream);
          return stream;
        } catch (error) {
          releaseSink(resolved, claim);
          ready(undefined);
          throw error;
        }
      } finally {
        lease?.release();
        started();
      }
    },
    adopt(takeover: CdcTakeover, options: CallOptions = {}): Promise<FileCdcStream | undefined> {
      return Promise.resolve().then(() => {
        const { signal } = checkCallOptions<CallOptions>(options, 'adopt options', { key: name });
        throwIfAborted(signal, { key: name }, 'adopt');
        return adoptTakeover(takeover, { name, directory }, (state) =>
          FileCdcStream.resume(name, state, { maxBatchBytes, bufferBytes }),
        );
      });
    },
  };
}
