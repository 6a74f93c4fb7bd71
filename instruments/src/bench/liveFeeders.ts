import { setImmediate as nextTurn } from 'node:timers/promises';
import { tableFromArrays } from 'apache-arrow';
import type { RecordBatch } from 'apache-arrow';
import type { CdcBatch, ManagedCdcStream } from '@baton/core';

/** A 4-row batch of changes (the same mutations every time; each delivery gets its own LSN range). */
const mutations: RecordBatch = tableFromArrays({
  op: ['insert', 'insert', 'insert', 'update'],
  table: ['public.orders', 'public.orders', 'public.orders', 'public.orders'],
  id: Int32Array.from([1, 2, 3, 1]),
  note: ['order 1', 'order 2', 'order 3', 'order 1 (paid)'],
}).batches[0]!;

/** The 4-row batch the feeders deliver, at LSNs [1, 2) (give each delivery its own range). */
export const SAMPLE_BATCH: CdcBatch = { lsnStart: 1n, lsnEnd: 2n, mutations, commitTimestamp: 0 };

/**
 * Callers that keep one managed CDC stream each busy: each delivers a batch, waits for it, yields
 * to the event loop and delivers the next, until stopped. A delivery that fails is counted (a
 * reload must fail none) and its feeder stops.
 */
export class LiveFeeders {
  readonly #delivered: number[];
  readonly #waiters: { readonly stream: number; readonly count: number; readonly resolve: () => void }[] = [];
  readonly #loops: Promise<void>[];
  #stopped = false;
  failed = 0;
  firstFailure: unknown;

  constructor(streams: readonly ManagedCdcStream[], firstLsn = 1n) {
    this.#delivered = streams.map(() => 0);
    this.#loops = streams.map((stream, i) => this.#feed(stream, i, firstLsn));
  }

  /** Deliveries made so far, over every stream. */
  get delivered(): number {
    return this.#delivered.reduce((a, b) => a + b, 0);
  }

  /** Resolves once every stream has had `more` deliveries after this call (or a feeder failed). */
  each(more: number): Promise<void> {
    if (this.failed > 0 || this.#stopped) return Promise.resolve();
    const waits = this.#delivered.map(
      (count, stream) => new Promise<void>((resolve) => this.#waiters.push({ stream, count: count + more, resolve })),
    );
    this.#wake();
    return Promise.all(waits).then(() => undefined);
  }

  /** Stops every feeder after its delivery in flight, and waits for them. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all(this.#loops);
    for (const w of this.#waiters.splice(0)) w.resolve();
  }

  async #feed(stream: ManagedCdcStream, index: number, firstLsn: bigint): Promise<void> {
    let lsn = firstLsn;
    while (!this.#stopped) {
      const batch: CdcBatch = { lsnStart: lsn, lsnEnd: lsn + 1n, mutations, commitTimestamp: Date.now() };
      try {
        await stream.deliver(batch);
      } catch (error) {
        this.failed++;
        this.firstFailure ??= error;
        this.#release();
        return;
      }
      lsn += 1n;
      this.#delivered[index]!++;
      this.#wake();
      await nextTurn();
    }
  }

  /** Resolves the waits that are met. */
  #wake(): void {
    for (let k = this.#waiters.length - 1; k >= 0; k--) {
      const w = this.#waiters[k]!;
      if (this.#delivered[w.stream]! >= w.count) {
        this.#waiters.splice(k, 1);
        w.resolve();
      }
    }
  }

  /** A feeder failed: nothing waits for it any more. */
  #release(): void {
    for (const w of this.#waiters.splice(0)) w.resolve();
  }
}
