import { isArrowRecordBatch } from 'apache-arrow';
import { ReloadError } from '../../errors/reloadError.js';
import type { CdcBatch, CdcStream } from '../../surfaces/cdcOutput.js';
import type { CallOptions } from '../../util/maybePromise.js';
import { ManagedHandle } from './managedHandle.js';
import type { CellCloser } from './managedHandle.js';
import type { ResourceCell } from './resourceCell.js';

/**
 * Tracks what a managed stream delivered; the host reads it when handing the stream over. It starts
 * at the stream's own checkpoint right after `start`, so a sink that is already ahead of the host's
 * resume point is believed (re-delivered batches are skipped) instead of blocking reloads.
 */
export class DeliveryCursor {
  /** `lsnEnd` of the last delivered batch, or the stream's checkpoint at start. */
  deliveredEnd: bigint | undefined;

  /** The handoff parameters: a checkpoint must equal what was delivered. */
  params(): Readonly<Record<string, unknown>> {
    return this.deliveredEnd === undefined ? {} : { expectedLsn: this.deliveredEnd };
  }
}

/**
 * A CDC stream managed by the host. Deliveries run one at a time in call order; during a reload they
 * wait at the plugin's gate while the stream is checkpointed and restarted on the new version, then
 * continue there. A batch that ends at or before what was already delivered is skipped (`false`),
 * so re-delivering after a restart never writes a batch twice.
 */
export class ManagedCdcStream extends ManagedHandle<CdcStream> {
  readonly #cursor: DeliveryCursor;
  #tail: Promise<unknown> = Promise.resolve();

  /** @internal Made by the host. */
  constructor(cell: ResourceCell<CdcStream>, closer: CellCloser, cursor: DeliveryCursor) {
    super(cell, closer);
    this.#cursor = cursor;
  }

  /** `lsnEnd` of the last delivered batch (or the start LSN), if known. */
  get deliveredThrough(): bigint | undefined {
    return this.#cursor.deliveredEnd;
  }

  /** The checkpoint taken when the stream was closed (by `close()` or by the host's `close()`). */
  get finalLsn(): bigint | undefined {
    return this.cell.closeCheckpoints.at(-1);
  }

  /**
   * Delivers one batch, after every earlier call. Resolves `true` when written, `false` when
   * skipped as already delivered; rejects with `INVALID_ARGUMENT` on a malformed batch or one that
   * overlaps what was delivered.
   */
  deliver(batch: CdcBatch, options?: CallOptions): Promise<boolean> {
    const problem = batchProblem(batch);
    if (problem)
      return Promise.reject(
        new ReloadError({
          code: 'INVALID_ARGUMENT',
          phase: 'call',
          kind: 'cdcOutput',
          key: this.name,
          message: `CDC stream '${this.name}': ${problem}`,
        }),
      );
    return this.#enqueue(() =>
      this.cell.use(async (stream) => {
        const end = this.#cursor.deliveredEnd;
        if (end !== undefined && batch.lsnEnd <= end) return false;
        if (end !== undefined && batch.lsnStart < end) {
          throw new ReloadError({
            code: 'INVALID_ARGUMENT',
            phase: 'call',
            kind: 'cdcOutput',
            key: this.name,
            message: `CDC stream '${this.name}': batch [${batch.lsnStart}, ${batch.lsnEnd}) overlaps what was delivered (through ${end})`,
          });
        }
        await stream.deliver(batch);
        this.#cursor.deliveredEnd = batch.lsnEnd;
        return true;
      }, options?.signal),
    );
  }

  /** Checkpoints the current stream (after every earlier delivery) and returns the LSN. */
  checkpoint(options?: CallOptions): Promise<bigint> {
    return this.#enqueue(() => this.cell.use((stream) => stream.checkpoint(options), options?.signal));
  }

  /** Waits for pending deliveries, checkpoints, shuts the stream down; the LSN is in {@link finalLsn}. */
  override async close(): Promise<void> {
    await this.#tail.catch(() => undefined);
    await this.closeWithReport();
  }

  #enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(task, task);
    this.#tail = run.catch(() => undefined);
    return run;
  }
}

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
