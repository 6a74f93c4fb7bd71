import { ReloadError } from '@baton/core';
import type { CdcBatch } from '@baton/core';
import { checkBatch } from './batchCheck.js';
import { checkCdcOptions } from './cdcArgs.js';

/** Options of a {@link CdcChannel}. */
export interface CdcChannelOptions {
  /** Batches buffered before `push` waits for the consumer (default 16). */
  readonly highWaterMark?: number;
}

const CONTEXT = { key: 'CdcChannel' };

/**
 * A host-owned, bounded queue of CDC batches read by one async-iterator consumer. Used as the
 * `onBatch` of a {@link callbackCdcOutput} (`onBatch: (b) => channel.push(b)`), it turns the output
 * into an `AsyncIterable<CdcBatch>` with backpressure: a delivery resolves once its batch is queued,
 * and waits while `highWaterMark` batches are queued. Because the host owns the channel (and the
 * output's `CdcPosition`), queued batches survive a reload handoff and are consumed exactly once.
 */
export class CdcChannel implements AsyncIterable<CdcBatch> {
  readonly #highWaterMark: number;
  #queue: CdcBatch[] = [];
  #head = 0;
  #closed = false;
  #iterating = false;
  readonly #spaceWaiters: (() => void)[] = [];
  #itemWaiter: (() => void) | undefined;

  /** `INVALID_ARGUMENT` for options that are not `{ highWaterMark?: positive integer }`. */
  constructor(options: CdcChannelOptions = {}) {
    const checked = checkCdcOptions<CdcChannelOptions>(options, ['highWaterMark'], 'CdcChannel options', CONTEXT);
    const hwm = checked.highWaterMark ?? 16;
    if (!(Number.isSafeInteger(hwm) && hwm > 0)) {
      throw new ReloadError({
        code: 'INVALID_ARGUMENT',
        phase: 'call',
        kind: 'cdcOutput',
        message: `CdcChannel: highWaterMark must be a positive integer (got ${String(hwm)})`,
      });
    }
    this.#highWaterMark = hwm;
  }

  /** Batches queued and not yet taken by the consumer. */
  get size(): number {
    return this.#queue.length - this.#head;
  }

  /**
   * Queues a batch, waiting while the channel is full. Rejects with `RESOURCE_CLOSED` once closed,
   * and with `INVALID_ARGUMENT` for something that is not a batch.
   */
  async push(batch: CdcBatch): Promise<void> {
    checkBatch(batch, CONTEXT);
    while (this.size >= this.#highWaterMark && !this.#closed) {
      await new Promise<void>((resolve) => this.#spaceWaiters.push(resolve));
    }
    if (this.#closed)
      throw new ReloadError({
        code: 'RESOURCE_CLOSED',
        phase: 'call',
        kind: 'cdcOutput',
        message: 'CdcChannel is closed',
      });
    this.#queue.push(batch);
    this.#wakeConsumer();
  }

  /** Ends the channel: the consumer still gets every queued batch, then its iteration ends. */
  close(): void {
    this.#closed = true;
    this.#wakeConsumer();
    for (const wake of this.#spaceWaiters.splice(0)) wake();
  }

  /** The one consumer's iteration (a second concurrent iteration is `INVALID_ARGUMENT`). */
  async *[Symbol.asyncIterator](): AsyncGenerator<CdcBatch, void, undefined> {
    if (this.#iterating)
      throw new ReloadError({
        code: 'INVALID_ARGUMENT',
        phase: 'call',
        kind: 'cdcOutput',
        message: 'CdcChannel has one consumer; it is already being iterated',
      });
    this.#iterating = true;
    try {
      for (;;) {
        const batch = this.#take();
        if (batch) {
          yield batch;
          continue;
        }
        if (this.#closed) return;
        await new Promise<void>((resolve) => (this.#itemWaiter = resolve));
      }
    } finally {
      this.#iterating = false;
    }
  }

  #take(): CdcBatch | undefined {
    if (this.size === 0) return undefined;
    const batch = this.#queue[this.#head]!;
    this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    this.#spaceWaiters.shift()?.();
    return batch;
  }

  #wakeConsumer(): void {
    const wake = this.#itemWaiter;
    this.#itemWaiter = undefined;
    wake?.();
  }
}
