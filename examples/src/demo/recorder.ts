/** The operations demo clients perform. */
const OPS = ['write', 'search', 'aggregate', 'visit', 'merge', 'tag', 'note'] as const;
/** One kind of call a client makes. */
export type Op = (typeof OPS)[number];

/** A moment worth marking on the timeline. */
export interface Marker {
  readonly t: number;
  readonly label: string;
  readonly tone: 'ok' | 'refused' | 'pause';
}

/** One bucket of the timeline. */
export interface Bucket {
  readonly t: number;
  readonly calls: number;
  readonly p99Ms: number;
}

/**
 * Records every call's completion time, latency, operation and outcome in growable typed arrays
 * (a run makes hundreds of thousands of calls), plus timeline markers.
 */
export class Recorder {
  readonly startedAt = performance.now();
  readonly markers: Marker[] = [];
  readonly errors: string[] = [];
  #end = new Float64Array(1 << 16);
  #latency = new Float64Array(1 << 16);
  #op = new Uint8Array(1 << 16);
  #ok = new Uint8Array(1 << 16);
  #count = 0;
  /** Waiters for a call count, by the count they wait for. */
  #waiters: { readonly calls: number; readonly resolve: () => void }[] = [];

  /** Milliseconds since the run started. */
  now(): number {
    return performance.now() - this.startedAt;
  }

  record(op: Op, startedMs: number, ok: boolean): void {
    if (this.#count === this.#end.length) this.#grow();
    const end = this.now();
    const i = this.#count++;
    this.#end[i] = end;
    this.#latency[i] = end - startedMs;
    this.#op[i] = OPS.indexOf(op);
    this.#ok[i] = ok ? 1 : 0;
    if (this.#waiters.length > 0 && this.#waiters[0]!.calls <= this.#count) this.#wake();
  }

  /** Resolves once `calls` calls have been recorded. */
  whenCalls(calls: number): Promise<void> {
    if (this.#count >= calls) return Promise.resolve();
    return new Promise((resolve) => {
      this.#waiters.push({ calls, resolve });
      this.#waiters.sort((a, b) => a.calls - b.calls);
    });
  }

  #wake(): void {
    while (this.#waiters.length > 0 && this.#waiters[0]!.calls <= this.#count) this.#waiters.shift()!.resolve();
  }

  mark(label: string, tone: Marker['tone']): void {
    this.markers.push({ t: this.now(), label, tone });
  }

  get calls(): number {
    return this.#count;
  }

  get failed(): number {
    let n = 0;
    for (let i = 0; i < this.#count; i++) n += 1 - this.#ok[i]!;
    return n;
  }

  /** Calls per operation (`failed`: only those that failed). */
  byOp(failed = false): Record<Op, number> {
    const counts = Object.fromEntries(OPS.map((op) => [op, 0])) as Record<Op, number>;
    for (let i = 0; i < this.#count; i++) if (!failed || this.#ok[i] === 0) counts[OPS[this.#op[i]!]!]++;
    return counts;
  }

  /** Latencies of calls that completed in [from, to) milliseconds. */
  latencies(from = 0, to = Infinity): Float64Array {
    const out: number[] = [];
    for (let i = 0; i < this.#count; i++) if (this.#end[i]! >= from && this.#end[i]! < to) out.push(this.#latency[i]!);
    return Float64Array.from(out);
  }

  /** The timeline in buckets of `bucketMs`. */
  timeline(bucketMs: number): Bucket[] {
    const total = Math.ceil(this.now() / bucketMs);
    const buckets: number[][] = Array.from({ length: total }, () => []);
    for (let i = 0; i < this.#count; i++)
      buckets[Math.min(total - 1, Math.floor(this.#end[i]! / bucketMs))]!.push(this.#latency[i]!);
    return buckets.map((latencies, i) => ({
      t: i * bucketMs,
      calls: latencies.length,
      p99Ms: percentile(Float64Array.from(latencies), 0.99),
    }));
  }

  #grow(): void {
    const grow = <T extends Float64Array | Uint8Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(a.length * 2);
      b.set(a);
      return b;
    };
    this.#end = grow(this.#end);
    this.#latency = grow(this.#latency);
    this.#op = grow(this.#op);
    this.#ok = grow(this.#ok);
  }
}

/** The `p` quantile (0..1) of `values` (0 when empty). */
export function percentile(values: ArrayLike<number>, p: number): number {
  if (values.length === 0) return 0;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}
