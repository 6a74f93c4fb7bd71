import { isArrowRecordBatch } from 'apache-arrow';
import { ReloadError } from '../../errors/reloadError.js';
import type { CdcBatch, CdcStream } from '../../surfaces/cdcOutput.js';
import type { CdcSource, CdcSourceLag } from '../../surfaces/cdcSource.js';
import { isPromiseLike } from '../../util/maybePromise.js';
import type { CallOptions, MaybePromise } from '../../util/maybePromise.js';
import { DeliveryGaps } from './deliveryGaps.js';
import { providerError } from './providerError.js';
import { ManagedHandle } from './managedHandle.js';
import type { CellCloser } from './managedHandle.js';
import type { ResourceCell } from './resourceCell.js';
import { SourceLagTracker } from './sourceLagTracker.js';
import type { TrackSourceOptions } from './sourceLagTracker.js';

/**
 * Tracks what a managed stream delivered; the host reads it when handing the stream over. It starts
 * at the stream's own checkpoint right after `start`, so a sink that is already ahead of the host's
 * resume point is believed (re-delivered batches are skipped) instead of blocking reloads.
 */
export class DeliveryCursor {
  /** `lsnEnd` of the last delivered batch, or the stream's checkpoint at start. */
  deliveredEnd: bigint | undefined;
  /**
   * The furthest `lsnEnd` of a batch the stream was asked to write whose `deliver` then failed: the
   * sink may hold it (the write happened, the acknowledgement was lost) or not.
   */
  uncertainEnd: bigint | undefined;
  /** The last checkpoint this handle saw (at start, then each `checkpoint()`): durable through here. */
  durableEnd: bigint | undefined;
  /** When (`performance.now()`) the oldest delivery past {@link durableEnd} was written, if any. */
  undurableSince: number | undefined;

  /** A batch ending at `end` was written. */
  delivered(end: bigint): void {
    this.deliveredEnd = end;
    if (this.undurableSince === undefined && (this.durableEnd === undefined || end > this.durableEnd))
      this.undurableSince = performance.now();
  }

  /** The stream reported checkpoint `lsn`: what was delivered through it is durable. */
  checkpointed(lsn: bigint): void {
    this.durableEnd = lsn;
    if (this.deliveredEnd === undefined || lsn >= this.deliveredEnd) this.undurableSince = undefined;
  }

  /**
   * The handoff parameters: a checkpoint must equal what was delivered, or lie within what a failed
   * delivery may have written (`maxLsn`).
   */
  params(): Readonly<Record<string, unknown>> {
    const delivered = this.deliveredEnd;
    if (delivered === undefined) return {};
    const uncertain = this.uncertainEnd;
    return uncertain !== undefined && uncertain > delivered
      ? { expectedLsn: delivered, maxLsn: uncertain }
      : { expectedLsn: delivered };
  }
}

/**
 * A CDC stream managed by the host. Deliveries run one at a time in call order; during a reload they
 * wait at the plugin's gate while the stream is checkpointed and restarted on the new version, then
 * continue there. A batch that ends at or before what was already delivered is skipped (`false`),
 * so re-delivering after a restart never writes a batch twice.
 *
 * A delivery that fails (the sink throws, the call is aborted, the queue is full, the batch is
 * malformed) leaves a gap the stream will not step over: every later batch is refused with
 * `DELIVERY_BLOCKED` until the failed range is delivered again ({@link ManagedCdcStream.blockedFrom}
 * says from where), so pipelined deliveries never lose a batch behind a failed one.
 */
export class ManagedCdcStream extends ManagedHandle<CdcStream> {
  readonly #cursor: DeliveryCursor;
  readonly #gaps = new DeliveryGaps();
  /** Reads the attached source's position ({@link trackSource}), if any. */
  #source: SourceLagTracker | undefined;
  /** Settles after every call made so far (never rejects). */
  #tail: Promise<unknown> = RESOLVED;
  /** Calls made and not yet settled; while 0, a new call may run at once without breaking the order. */
  #pending = 0;
  readonly #settled = (): void => {
    this.#pending--;
  };
  /** One delivery on the current stream (made once per handle: a call allocates no closure). */
  readonly #deliverOp = (stream: CdcStream, _provider: unknown, _version: unknown, batch: CdcBatch) =>
    this.#deliverTo(stream, batch);

  /** Made by the host (`PluginHost.startCdc`), never by callers. */
  private constructor(cell: ResourceCell<CdcStream>, closer: CellCloser, cursor: DeliveryCursor) {
    super(cell, closer);
    this.#cursor = cursor;
  }

  /** @internal The host's way to make a handle. */
  static attach(cell: ResourceCell<CdcStream>, closer: CellCloser, cursor: DeliveryCursor): ManagedCdcStream {
    return new ManagedCdcStream(cell, closer, cursor);
  }

  /** `lsnEnd` of the last delivered batch (or the start LSN), if known. */
  get deliveredThrough(): bigint | undefined {
    return this.#cursor.deliveredEnd;
  }

  /**
   * After a failed delivery: the LSN from which batches must be delivered again before any later
   * one is accepted (later ones are refused with `DELIVERY_BLOCKED`); `undefined` when nothing is
   * missing.
   */
  get blockedFrom(): bigint | undefined {
    return this.#gaps.from;
  }

  /** The checkpoint taken when the stream was closed (by `close()` or by the host's `close()`). */
  get finalLsn(): bigint | undefined {
    return this.cell.closeCheckpoints.at(-1);
  }

  /**
   * Delivers one batch, after every earlier call. Resolves `true` when written, `false` when
   * skipped as already delivered; rejects with `INVALID_ARGUMENT` on a malformed batch or one that
   * overlaps what was delivered, with `DELIVERY_BLOCKED` while an earlier delivery's range is
   * missing, and with `QUEUE_FULL` when the plugin is paused and its queue is full (a call waiting
   * behind earlier deliveries counts). When nothing earlier is pending, the batch goes to the stream
   * at once; a stream whose `deliver` is synchronous then costs no promise reaction.
   */
  deliver(batch: CdcBatch, options?: CallOptions): Promise<boolean> {
    const problem = batchProblem(batch);
    if (problem) {
      const error = new ReloadError({
        code: 'INVALID_ARGUMENT',
        phase: 'call',
        kind: 'cdcOutput',
        key: this.name,
        message: `CDC stream '${this.name}': ${problem}`,
      });
      this.#gaps.fail(batch, this.#cursor.deliveredEnd, error);
      return Promise.reject(error);
    }
    const signal = options?.signal;
    if (this.#pending !== 0) {
      const gate = this.cell.slot.gate;
      try {
        gate.hold();
      } catch (error) {
        this.#gaps.fail(batch, this.#cursor.deliveredEnd, error);
        return Promise.reject(error);
      }
      return this.#follow(
        this.#tail.then(() => {
          gate.unhold();
          return this.#deliverNow(batch, signal, true);
        }),
      );
    }
    let result: MaybePromise<boolean>;
    try {
      result = this.#deliverNow(batch, signal, false);
    } catch (error) {
      return Promise.reject(error);
    }
    if (!isPromiseLike(result)) return result ? RESOLVED_TRUE : RESOLVED_FALSE;
    return this.#follow(Promise.resolve(result));
  }

  /** Checkpoints the current stream (after every earlier delivery) and returns the LSN. */
  checkpoint(options?: CallOptions): Promise<bigint> {
    const gate = this.cell.slot.gate;
    try {
      gate.hold();
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#follow(
      this.#tail.then(() => {
        gate.unhold();
        return this.cell.use((stream) => stream.checkpoint(options), options?.signal, undefined, 'checkpoint', true);
      }),
    ).then((lsn) => {
      this.#cursor.checkpointed(lsn);
      return lsn;
    });
  }

  /**
   * How far the sink's durable state trails what this handle delivered: `lsn`, the LSNs delivered
   * past the last checkpoint this handle saw (at start or by {@link checkpoint}), and `ms`, how long
   * the oldest of those deliveries has waited for a checkpoint. Undefined when everything delivered
   * is checkpointed (or nothing was delivered). After a reload, what the old version delivered
   * counts until the next checkpoint.
   */
  get lag(): { readonly lsn: bigint; readonly ms: number } | undefined {
    const { deliveredEnd, durableEnd, undurableSince } = this.#cursor;
    if (undurableSince === undefined || deliveredEnd === undefined) return undefined;
    return { lsn: deliveredEnd - (durableEnd ?? 0n), ms: performance.now() - undurableSince };
  }

  /**
   * Attaches the source that feeds this stream (the engine's change log, a replication slot: anything
   * implementing {@link CdcSource}), so the stream can say how far it trails the source's head
   * ({@link sourceLag}). The source is read at once and then every `intervalMs` (default 5000), one
   * reading at a time, each bounded by `timeoutMs` (default 2000): never by a metrics collection,
   * and never on the path of a delivery. A reading that fails leaves the stream alone; its typed
   * error is in {@link sourceLagError} until a reading succeeds. Replaces a source attached before;
   * returns the function that detaches it. Reading stops when the stream closes.
   *
   * Throws `INVALID_ARGUMENT` for a source without `sourcePosition` or bad options, `RESOURCE_CLOSED`
   * on a closed stream.
   */
  trackSource(source: CdcSource, options?: TrackSourceOptions): () => void {
    if (this.closed) {
      throw new ReloadError({
        code: 'RESOURCE_CLOSED',
        phase: 'call',
        kind: 'cdcOutput',
        key: this.name,
        message: `CDC stream '${this.name}' is closed: no source can be tracked`,
      });
    }
    const tracker = new SourceLagTracker(source, this, () => this.#cursor.deliveredEnd, options);
    this.#source?.stop();
    this.#source = tracker;
    tracker.start();
    return () => {
      tracker.stop();
      if (this.#source === tracker) this.#source = undefined;
    };
  }

  /**
   * How far this stream trails its source's head, from the last reading of the source attached with
   * {@link trackSource}: the head, when it was read, and for what the stream delivered (now) and for
   * the source's confirmed position, the LSNs behind the head and how long the head has been past
   * them (see {@link CdcSourceLag}). `undefined` with no source attached, before the first reading,
   * after a reading failed (see {@link sourceLagError}) and once the stream is closed. Reading it
   * costs no I/O.
   */
  get sourceLag(): CdcSourceLag | undefined {
    const tracker = this.#source;
    if (tracker === undefined || tracker.stopped) return undefined;
    return tracker.lag(this.#cursor.deliveredEnd);
  }

  /** Why the last reading of the attached source failed (a `ReloadError`); `undefined` after a success. */
  get sourceLagError(): ReloadError | undefined {
    const tracker = this.#source;
    return tracker === undefined || tracker.stopped ? undefined : tracker.error;
  }

  /**
   * Reads the attached source now (or joins the reading in flight) and returns {@link sourceLag};
   * `undefined` with no source attached. Rejects with the reading's error (`STEP_TIMEOUT` past
   * `timeoutMs`, the source's own `ReloadError`, `PROVIDER_FAILED` for another error,
   * `INVALID_PROVIDER` for a malformed position), and with `ABORTED` when `options.signal` aborts
   * (the reading goes on). The next periodic reading is due `intervalMs` after this one.
   */
  async readSourceLag(options?: CallOptions): Promise<CdcSourceLag | undefined> {
    const tracker = this.#source;
    if (tracker === undefined || tracker.stopped) return undefined;
    await tracker.readNow(options?.signal);
    return tracker.lag(this.#cursor.deliveredEnd);
  }

  /** Waits for pending deliveries, checkpoints, shuts the stream down; the LSN is in {@link finalLsn}. */
  override async close(): Promise<void> {
    this.#source?.stop();
    await this.#tail;
    await this.closeWithReport();
  }

  /**
   * Runs one delivery now. With the gate open it reaches the stream at once (a synchronous outcome
   * stays synchronous); paused, it waits at the gate (`admitted`: accepted earlier, so a full queue
   * does not refuse it), and a failure there (aborted, closed meanwhile) is recorded as a gap like
   * any other. A delivery whose signal aborted while it waited never reaches the stream.
   */
  #deliverNow(batch: CdcBatch, signal: AbortSignal | undefined, admitted: boolean): MaybePromise<boolean> {
    if (signal?.aborted) {
      // Aborted while it waited behind earlier deliveries: it never reaches the stream.
      const error = new ReloadError({
        code: 'ABORTED',
        phase: 'call',
        kind: 'cdcOutput',
        key: this.name,
        message: `a delivery to CDC stream '${this.name}' was aborted before it reached the stream`,
        cause: signal.reason,
      });
      this.#gaps.fail(batch, this.#cursor.deliveredEnd, error);
      throw error;
    }
    if (!this.cell.slot.gate.isOpen) {
      return this.cell.use(this.#deliverOp, signal, batch, undefined, admitted).catch((error: unknown) => {
        this.#gaps.fail(batch, this.#cursor.deliveredEnd, error);
        throw error;
      });
    }
    try {
      return this.cell.useMaybe(this.#deliverOp, signal, batch);
    } catch (error) {
      this.#gaps.fail(batch, this.#cursor.deliveredEnd, error);
      throw error;
    }
  }

  /** Skips what was delivered, refuses a gap or an overlap, delivers, then advances the cursor. */
  #deliverTo(stream: CdcStream, batch: CdcBatch): MaybePromise<boolean> {
    const end = this.#cursor.deliveredEnd;
    if (end !== undefined && batch.lsnEnd <= end) return false;
    try {
      this.#gaps.check(batch, this.name);
      if (end !== undefined && batch.lsnStart < end) {
        throw new ReloadError({
          code: 'INVALID_ARGUMENT',
          phase: 'call',
          kind: 'cdcOutput',
          key: this.name,
          message: `CDC stream '${this.name}': batch [${batch.lsnStart}, ${batch.lsnEnd}) overlaps what was delivered (through ${end})`,
        });
      }
    } catch (error) {
      this.#gaps.fail(batch, end, error);
      throw error;
    }
    let written: MaybePromise<void>;
    try {
      written = stream.deliver(batch);
    } catch (error) {
      throw this.#failed(batch, error);
    }
    if (!isPromiseLike(written)) return this.#advance(batch);
    return Promise.resolve(written).then(
      () => this.#advance(batch),
      (error: unknown) => {
        throw this.#failed(batch, error);
      },
    );
  }

  /**
   * The stream's `deliver` failed for `batch`: the sink may or may not hold it, and its range is
   * missing until it is delivered again. Returns the caller's error (the host assigns its code).
   */
  #failed(batch: CdcBatch, error: unknown): ReloadError {
    this.#uncertain(batch);
    this.#gaps.fail(batch, this.#cursor.deliveredEnd, error);
    const backing = this.cell.backing;
    return providerError(
      { kind: 'cdcOutput', name: this.name, plugin: backing.version.name, version: backing.version.version },
      'deliver',
      error,
    );
  }

  /** The stream's `deliver` failed for `batch`: the sink may or may not hold it. */
  #uncertain(batch: CdcBatch): void {
    const cursor = this.#cursor;
    if (cursor.uncertainEnd === undefined || batch.lsnEnd > cursor.uncertainEnd) cursor.uncertainEnd = batch.lsnEnd;
  }

  /** `batch` reached the sink: the cursor moves past it and the gaps it covered close. */
  #advance(batch: CdcBatch): true {
    this.#cursor.delivered(batch.lsnEnd);
    this.#gaps.delivered(batch.lsnEnd);
    this.#source?.delivered(batch.lsnEnd, batch.commitTimestamp);
    return true;
  }

  /** Makes `run` the last call: later calls start after it settles. */
  #follow<T>(run: Promise<T>): Promise<T> {
    this.#pending++;
    this.#tail = run.then(this.#settled, this.#settled);
    return run;
  }
}

const RESOLVED: Promise<void> = Promise.resolve();
const RESOLVED_TRUE: Promise<boolean> = Promise.resolve(true);
const RESOLVED_FALSE: Promise<boolean> = Promise.resolve(false);

function batchProblem(batch: CdcBatch): string | undefined {
  if (typeof batch !== 'object' || batch === null) return 'a batch must be an object';
  const { lsnStart, lsnEnd, mutations, commitTimestamp } = batch;
  if (typeof lsnStart !== 'bigint' || typeof lsnEnd !== 'bigint' || lsnStart < 0n || lsnEnd <= lsnStart) {
    return `a batch needs bigint LSNs with 0 <= lsnStart < lsnEnd (got ${String(lsnStart)}, ${String(lsnEnd)})`;
  }
  if (!isArrowRecordBatch(mutations)) return 'mutations must be an Arrow RecordBatch';
  if (typeof commitTimestamp !== 'number' || !Number.isFinite(commitTimestamp))
    return 'commitTimestamp must be a finite number';
  return undefined;
}
