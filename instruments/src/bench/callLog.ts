import { sortedQuantile } from './stats.js';

const CHUNK = 1 << 18;

/** What the calls that ended within a time window did. */
export interface WindowStats {
  readonly calls: number;
  /** Calls per second over the window. */
  readonly throughput: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/**
 * Records when each call ended and how long it took, in chunked typed arrays (millions of calls
 * cost two doubles each and no objects), and failures with when they happened.
 */
export class CallLog {
  readonly #ends: Float64Array[] = [];
  readonly #latencies: Float64Array[] = [];
  #size = 0;
  readonly failures: { readonly at: number; readonly error: unknown }[] = [];

  /** Records a call that started at `start` and succeeded at `end` (performance.now() times). */
  ok(start: number, end: number): void {
    const chunk = this.#size >>> 18;
    const at = this.#size & (CHUNK - 1);
    if (at === 0 && chunk === this.#ends.length) {
      this.#ends.push(new Float64Array(CHUNK));
      this.#latencies.push(new Float64Array(CHUNK));
    }
    this.#ends[chunk]![at] = end;
    this.#latencies[chunk]![at] = end - start;
    this.#size++;
  }

  /** Records a failed call. */
  fail(at: number, error: unknown): void {
    this.failures.push({ at, error });
  }

  /** Successful calls recorded. */
  get size(): number {
    return this.#size;
  }

  /** Failures within `[from, to)`. */
  failedIn(from: number, to: number): number {
    return this.failures.filter((f) => f.at >= from && f.at < to).length;
  }

  /** Statistics of the calls that ended within `[from, to)`. */
  window(from: number, to: number): WindowStats {
    const picked: number[] = [];
    for (let i = 0; i < this.#size; i++) {
      const end = this.#ends[i >>> 18]![i & (CHUNK - 1)]!;
      if (end >= from && end < to) picked.push(this.#latencies[i >>> 18]![i & (CHUNK - 1)]!);
    }
    const sorted = Float64Array.from(picked).sort();
    return {
      calls: sorted.length,
      throughput: (sorted.length * 1000) / (to - from),
      p50Ms: sortedQuantile(sorted, 0.5),
      p99Ms: sortedQuantile(sorted, 0.99),
      maxMs: sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1]!,
    };
  }

  /** Both logs' windows together. */
  static merged(logs: readonly CallLog[], from: number, to: number): WindowStats {
    const merged = new CallLog();
    for (const log of logs) {
      for (let i = 0; i < log.#size; i++) {
        const end = log.#ends[i >>> 18]![i & (CHUNK - 1)]!;
        merged.ok(end - log.#latencies[i >>> 18]![i & (CHUNK - 1)]!, end);
      }
    }
    return merged.window(from, to);
  }
}
