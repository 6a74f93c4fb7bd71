import { join } from 'node:path';
import { ReloadError } from '@baton/core';
import { ioFailed } from '@baton/core/durable';
import type { FileHandle } from 'node:fs/promises';
import type { CallOptions, CdcBatch, CdcStream, CdcTakeover } from '@baton/core';
import { checkBatch, closedCdc, invalidCdc, placeBatch, throwIfAborted } from './batchCheck.js';
import { checkCallOptions } from './cdcArgs.js';
import type { CdcErrorContext } from './batchCheck.js';
import { SINK_FILE, writeCheckpoint } from './fileCheckpoint.js';
import type { FileCheckpoint } from './fileCheckpoint.js';
import { detachSink } from './fileCdcTakeover.js';
import type { FileCdcTakeoverState } from './fileCdcTakeoverState.js';
import { afterBatch, afterMarker, markerAt } from './sinkChain.js';
import type { SinkLease } from './sinkLock.js';
import { encodeMarker, encodeRecord } from './sinkRecord.js';
import { ownsSink, releaseSink } from './sinkOwnership.js';

/** How a {@link FileCdcStream} is set up (by `fileCdcOutput`'s `start`, after reconciling the sink). */
export interface FileCdcStreamInit {
  readonly key: string;
  readonly directory: string;
  /** The sink file, open for reading and writing, already truncated to `durable.offset`. */
  readonly handle: FileHandle;
  /** The checkpoint on disk, which the sink file agrees with. */
  readonly durable: FileCheckpoint;
  readonly maxBatchBytes: number;
  readonly bufferBytes: number;
  /** This stream's share of the process's lock on the sink (released on shutdown or when fenced). */
  readonly lease: SinkLease;
  /** The file the start saved cut bytes to (recovery `scan`), if it did. */
  readonly salvaged: string | undefined;
  /** Where a detached stream stood (adopt): delivered state, bytes written, records still buffered. */
  readonly resume?: Pick<FileCdcTakeoverState, 'current' | 'written' | 'pending'>;
}

type StreamState =
  | { readonly kind: 'open' }
  | { readonly kind: 'failed'; readonly cause: unknown }
  | { readonly kind: 'closed' }
  | { readonly kind: 'detached' };

/**
 * A live stream of a file CDC output. `deliver` encodes a batch as a sink record and appends it
 * (buffered up to `bufferBytes`); `checkpoint` appends a commit marker, writes the buffer, fsyncs
 * the sink and then atomically replaces the checkpoint, so the checkpoint never covers bytes that
 * are not durable. Calls run one at a time in call order. A failed write or sync of the sink or
 * the checkpoint is `IO_FAILED` naming the file (the system error as `cause`), and the stream then
 * refuses further calls: start the output again, which resumes from what is committed. `detach`
 * hands the stream to the next version in the same process without I/O (its `fileCdcOutput`'s
 * `adopt` continues it).
 */
export class FileCdcStream implements CdcStream {
  readonly #context: CdcErrorContext;
  readonly #init: FileCdcStreamInit;
  /** What the sink holds, buffered bytes included. */
  #current: FileCheckpoint;
  /** What the checkpoint file says. */
  #durable: FileCheckpoint;
  #written: number;
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #state: StreamState = { kind: 'open' };
  #tail: Promise<unknown> = Promise.resolve();

  /** @internal The kind's own way to make one (providers, formats, tests). */
  static create(init: FileCdcStreamInit): FileCdcStream {
    return new FileCdcStream(init);
  }

  /** @internal The stream that continues a detached one (adopt, or a takeover's close): no I/O. */
  static resume(
    key: string,
    state: FileCdcTakeoverState,
    limits: Pick<FileCdcStreamInit, 'maxBatchBytes' | 'bufferBytes'>,
  ): FileCdcStream {
    const { directory, handle, lease, durable } = state;
    return new FileCdcStream({ key, directory, handle, lease, durable, ...limits, salvaged: undefined, resume: state });
  }

  /** Made by `fileCdcOutput().start()`. */
  private constructor(init: FileCdcStreamInit) {
    this.#init = init;
    this.#context = { key: init.key };
    this.#current = init.resume?.current ?? init.durable;
    this.#durable = init.durable;
    this.#written = init.resume?.written ?? init.durable.offset;
    this.#pending = [...(init.resume?.pending ?? [])];
    this.#pendingBytes = this.#pending.reduce((sum, record) => sum + record.byteLength, 0);
    this.#sinkPath = join(init.directory, SINK_FILE);
  }

  readonly #sinkPath: string;

  /** LSN through which the sink holds batches (delivered, not necessarily checkpointed). */
  get position(): bigint {
    return this.#current.lsn;
  }

  /** The last checkpoint persisted by this stream (or found on start). */
  get durable(): FileCheckpoint {
    return this.#durable;
  }

  /**
   * Path of the file this stream's start saved bytes to before cutting them from the sink, or
   * undefined. Only recovery `scan` does that, for bytes that are not provably uncommitted: commits
   * after a damaged record, or the tail of a sink whose checkpoint was lost. Inspect or repair them
   * by hand; the sink continues from what is provably committed.
   */
  get salvaged(): string | undefined {
    return this.#init.salvaged;
  }

  /** Resolves when every call made so far has settled. */
  idle(): Promise<void> {
    return this.#tail.then(() => undefined);
  }

  /**
   * Appends a batch to the sink. A batch ending at or before {@link position} is skipped (already
   * written); one straddling it, a malformed or an oversized one, and one whose encoded payload
   * `readFileSink` would refuse (a `RecordBatch` whose lengths its buffers do not back) is
   * `INVALID_ARGUMENT` naming the problem: nothing is written and the stream stays usable.
   */
  deliver(batch: CdcBatch): Promise<void> {
    return this.#serial('deliver', async () => {
      checkBatch(batch, this.#context);
      if (placeBatch(batch, this.#current.lsn, this.#context) === 'skip') return;
      const record = encodeRecord(batch, this.#init.maxBatchBytes);
      if (typeof record === 'string')
        throw invalidCdc(this.#context, `batch [${batch.lsnStart}, ${batch.lsnEnd}) cannot be written: ${record}`);
      this.#append(record);
      const crc = new DataView(record.buffer, record.byteOffset).getUint32(32, true);
      this.#current = afterBatch(this.#current, record.byteLength, batch.lsnEnd, crc);
      if (this.#pendingBytes >= this.#init.bufferBytes) await this.#flush();
    });
  }

  /**
   * Appends a commit marker, writes buffered records, fsyncs the sink, then persists the checkpoint
   * atomically. Returns the LSN through which the sink is complete and durable.
   */
  checkpoint(options: CallOptions = {}): Promise<bigint> {
    return this.#serial('checkpoint', async () => {
      const { signal } = checkCallOptions<CallOptions>(options, 'checkpoint options', this.#context);
      throwIfAborted(signal, this.#context, 'checkpoint');
      if (this.#current !== this.#durable) {
        this.#append(encodeMarker(markerAt(this.#current)));
        this.#current = afterMarker(this.#current);
        const target = this.#current;
        await this.#flush();
        await this.#guard('sync', this.#sinkPath, () => this.#init.handle.datasync());
        // The marker is durable from here: a failed checkpoint write stops the stream, and the next
        // start rolls the checkpoint forward to the marker (never two markers past the checkpoint).
        await this.#guard('checkpoint', this.#init.directory, () =>
          writeCheckpoint(this.#init.directory, this.#init.key, target),
        );
        this.#durable = target;
        this.#init.lease.validated = target;
      }
      return this.#current.lsn;
    });
  }

  /**
   * Hands the open sink, this stream's share of the lock, its checkpoints, what it wrote and the
   * records it still buffers to a takeover (layout `file-cdc/1`), without any I/O: after the
   * calls made before it settle, it settles within microtasks. The next version's
   * `fileCdcOutput(...).adopt(takeover)` continues exactly where this stream stood, or
   * `takeover.close()` checkpoints and releases it all. This stream is closed from then on: its
   * `deliver`, `checkpoint` and `detach` are `RESOURCE_CLOSED`, and `shutdown` does nothing (what
   * it would close belongs to the takeover). A stream fenced off, shut down, detached already or
   * whose sink write failed is refused the same way as its other calls; `ABORTED` when `signal`
   * is aborted (then nothing changes).
   */
  detach(options: CallOptions = {}): Promise<CdcTakeover> {
    return this.#serial('detach', () => {
      const { signal } = checkCallOptions<CallOptions>(options, 'detach options', this.#context);
      throwIfAborted(signal, this.#context, 'detach');
      const { key, directory, handle, lease, maxBatchBytes, bufferBytes } = this.#init;
      const takeover = detachSink(
        {
          key,
          directory,
          handle,
          lease,
          durable: this.#durable,
          current: this.#current,
          written: this.#written,
          pending: this.#pending,
        },
        this,
        (state) => FileCdcStream.resume(key, state, { maxBatchBytes, bufferBytes }),
      );
      this.#state = { kind: 'detached' };
      this.#pending = [];
      this.#pendingBytes = 0;
      this.#handleClosed = true; // the takeover holds the file now
      return Promise.resolve(takeover);
    });
  }

  /**
   * Stops the stream and closes the sink file. It does not checkpoint (the host checkpoints first):
   * batches delivered after the last checkpoint are not committed, are cut off by the next start,
   * and must be delivered again. Idempotent; after `detach` it does nothing. Wrong-typed `options`
   * are `INVALID_ARGUMENT`.
   */
  shutdown(options: CallOptions = {}): Promise<void> {
    const run = this.#tail.then(async () => {
      checkCallOptions<CallOptions>(options, 'shutdown options', this.#context);
      if (this.#state.kind === 'closed' || this.#state.kind === 'detached') return;
      this.#state = { kind: 'closed' };
      this.#pending = [];
      this.#pendingBytes = 0;
      releaseSink(this.#init.directory, this);
      try {
        await this.#closeHandle();
      } finally {
        this.#init.lease.release();
      }
    });
    this.#tail = run.catch(() => undefined);
    return run;
  }

  /** A newer stream took the sink over: release the file (later calls fail as fenced off). */
  fenced(): Promise<void> {
    const run = this.#tail.then(async () => {
      if (this.#state.kind === 'detached') return; // the takeover holds the file and the lease
      try {
        await this.#closeHandle();
      } finally {
        this.#init.lease.release();
      }
    });
    this.#tail = run.catch(() => undefined);
    return run;
  }

  #handleClosed = false;

  async #closeHandle(): Promise<void> {
    if (this.#handleClosed) return;
    this.#handleClosed = true;
    await this.#init.handle.close();
  }

  #owns(): boolean {
    return ownsSink(this.#init.directory, this);
  }

  #serial<T>(step: string, task: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(() => {
      this.#checkUsable(step);
      return task();
    });
    this.#tail = run.catch(() => undefined);
    return run;
  }

  #checkUsable(step: string): void {
    const base = { phase: 'call' as const, kind: 'cdcOutput', key: this.#init.key, step };
    if (this.#state.kind === 'closed') throw closedCdc(this.#context, step, `${step} on a stream that was shut down`);
    if (this.#state.kind === 'detached')
      throw closedCdc(this.#context, step, `${step} on a stream that was detached (its sink was handed over)`);
    if (this.#state.kind === 'failed') {
      const cause = this.#state.cause;
      throw new ReloadError({
        ...base,
        code: cause instanceof ReloadError ? cause.code : 'INTERNAL',
        message: `CDC '${this.#init.key}': ${step} on a stream whose sink write failed (${cause instanceof Error ? cause.message : String(cause)}); start the output again from its checkpoint`,
        cause,
      });
    }
    if (!this.#owns()) {
      throw closedCdc(
        this.#context,
        step,
        `a newer stream was started on ${this.#init.directory}; this one is fenced off`,
      );
    }
  }

  #append(record: Uint8Array): void {
    this.#pending.push(record);
    this.#pendingBytes += record.byteLength;
  }

  /** Writes buffered records at the end of what was written. */
  async #flush(): Promise<void> {
    if (this.#pendingBytes === 0) return;
    const chunk = this.#pending.length === 1 ? this.#pending[0]! : Buffer.concat(this.#pending, this.#pendingBytes);
    this.#pending = [];
    this.#pendingBytes = 0;
    await this.#guard('write', this.#sinkPath, async () => {
      let done = 0;
      while (done < chunk.byteLength) {
        const { bytesWritten } = await this.#init.handle.write(
          chunk,
          done,
          chunk.byteLength - done,
          this.#written + done,
        );
        done += bytesWritten;
      }
    });
    this.#written += chunk.byteLength;
  }

  /**
   * Runs sink or checkpoint I/O; a failure (`IO_FAILED` naming `path`) leaves the files in an
   * unknown state, so the stream stops accepting calls.
   */
  async #guard(operation: string, path: string, io: () => Promise<void>): Promise<void> {
    try {
      await io();
    } catch (error) {
      const failure = ioFailed(operation, path, error, {
        kind: 'cdcOutput',
        key: this.#init.key,
        prefix: `CDC '${this.#init.key}': `,
      });
      this.#state = { kind: 'failed', cause: failure };
      throw failure;
    }
  }
}
