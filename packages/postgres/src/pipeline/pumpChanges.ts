import { ReloadError } from '@baton/core';
import type { CdcBatch, MaybePromise } from '@baton/core';
import type { PostgresChangeSource } from '../source/postgresChangeSource.js';
import { checkPumpRetry, withPumpRetry } from './pumpRetry.js';
import type { PumpRetryOptions } from './pumpRetry.js';

/** Where a pump delivers: a host's `ManagedCdcStream`, or a `CdcStream` itself. */
export interface PumpTarget {
  /** Writes one batch; `false` (a managed stream's answer) means it was skipped as already delivered. */
  deliver(batch: CdcBatch): MaybePromise<unknown>;
  /** Makes what was delivered durable and returns the LSN through which the output is complete. */
  checkpoint(): MaybePromise<bigint>;
}

/** Options of {@link pumpChanges}. */
export interface PumpOptions {
  /** Stops the pump: the batch in flight is delivered, then a last checkpoint is confirmed. */
  readonly signal?: AbortSignal;
  /** Checkpoint the output and confirm the slot after this many batches (default 1). */
  readonly checkpointEvery?: number;
  /** Called after each batch was delivered (or skipped). */
  readonly onBatch?: (batch: CdcBatch, written: boolean) => void;
  /** Called after each confirmation with the output's checkpoint, which the slot may now reach. */
  readonly onConfirm?: (lsn: bigint) => MaybePromise<void>;
  /**
   * Retrying a delivery or checkpoint that failed with `IO_FAILED` or `LOCKED` (the sink is briefly
   * unreachable): on by default (30 s per call, waits from 50 ms doubling to 2 s); `false` rejects at
   * the first failure. A delivery is retried with the same batch, before any later one — a managed
   * stream refuses later batches (`DELIVERY_BLOCKED`) until the failed one is delivered again.
   */
  readonly retry?: false | PumpRetryOptions;
  /** Called before each retry with the failure being retried. */
  readonly onRetry?: (error: unknown, step: 'deliver' | 'checkpoint') => void;
}

/** What a pump did. */
export interface PumpReport {
  /** Batches delivered and written. */
  readonly written: number;
  /** Batches the target skipped as already delivered (read again after a restart). */
  readonly skipped: number;
  /** The last LSN confirmed to the slot (the source's start LSN if none). */
  readonly confirmedLsn: bigint;
  /** Deliveries and checkpoints that failed with a retryable code and were made again. */
  readonly retries: number;
}

/**
 * Moves committed transactions from a change source into a CDC output until `signal` aborts or the
 * source closes: each batch is delivered, then — every `checkpointEvery` batches and at the end — the
 * output is checkpointed and the slot confirmed to that checkpoint, never further. So the slot's
 * confirmed position is never ahead of what the output holds durably, and a restart (of the pump,
 * the engine or PostgreSQL) resumes from the slot with the output skipping what it already has.
 *
 * A delivery or checkpoint failing with `IO_FAILED` or `LOCKED` is made again (the same batch first)
 * with bounded backoff (`retry`); the source itself reconnects to a restarted server. A failure that
 * is not retryable, or persists past `retry.timeoutMs`, rejects with nothing confirmed past it: open
 * a new source and pump again. Bad options are `INVALID_ARGUMENT`.
 */
export async function pumpChanges(
  source: PostgresChangeSource,
  target: PumpTarget,
  options: PumpOptions = {},
): Promise<PumpReport> {
  const every = options.checkpointEvery ?? 1;
  if (!Number.isSafeInteger(every) || every < 1) {
    throw new ReloadError({
      code: 'INVALID_ARGUMENT',
      phase: 'call',
      message: `pumpChanges: checkpointEvery must be a whole number ≥ 1 (got ${String(every)})`,
    });
  }
  const retry = checkPumpRetry(options.retry);
  let written = 0;
  let skipped = 0;
  let pending = 0;
  let retries = 0;
  const retried =
    (step: 'deliver' | 'checkpoint') =>
    (error: unknown): void => {
      retries++;
      options.onRetry?.(error, step);
    };
  const confirm = async (): Promise<void> => {
    pending = 0;
    const lsn = await withPumpRetry(async () => target.checkpoint(), retry, options.signal, retried('checkpoint'));
    source.confirm(lsn);
    await options.onConfirm?.(lsn);
  };
  for (;;) {
    if (options.signal?.aborted) break;
    let batch: CdcBatch | undefined;
    try {
      batch = await source.next(options.signal ? { signal: options.signal } : {});
    } catch (error) {
      if (options.signal?.aborted) break;
      throw error;
    }
    if (!batch) break;
    const delivering = batch;
    const outcome = await withPumpRetry(
      async () => target.deliver(delivering),
      retry,
      options.signal,
      retried('deliver'),
    );
    if (outcome === false) skipped++;
    else written++;
    options.onBatch?.(batch, outcome !== false);
    if (++pending >= every) await confirm();
  }
  if (pending > 0) await confirm();
  return { written, skipped, confirmedLsn: source.confirmedLsn, retries };
}
