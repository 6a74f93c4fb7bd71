/** The operations demo clients perform. */
export const OPS = ['write', 'search', 'aggregate', 'visit', 'merge', 'tag', 'note'] as const;
/** One kind of call a client makes. */
export type Op = (typeof OPS)[number];

/** Every recorded call, as parallel columns of length `count` (views, not copies). */
export interface CallSamples {
  readonly count: number;
  /** When each call completed (ms since the run started). */
  readonly end: Float64Array;
  /** Its latency in ms, from when it was due. */
  readonly latency: Float64Array;
  /** Its operation, an index into {@link OPS}. */
  readonly op: Uint8Array;
  /** 1 when it succeeded. */
  readonly ok: Uint8Array;
  /** The plugin version serving when it completed, an index into `versions` (0: none, a PostgreSQL write). */
  readonly version: Uint8Array;
  readonly versions: readonly string[];
}

/** The index of `write` in {@link OPS}: PostgreSQL transactions, not calls into the plugin. */
export const WRITE_OP = 0;

/**
 * Records every call's completion time, latency, operation, outcome and the plugin version serving
 * at its completion, in growable typed arrays (a run makes hundreds of thousands of calls).
 *
 * The serving version at completion is the version that ran the call: a reload commits only after
 * the calls in flight on the old version have finished (drain), and the calls held at its gate run
 * on the new version after the commit.
 */
export class Recorder {
  #origin = performance.now();
  readonly errors: string[] = [];
  #end = new Float64Array(1 << 16);
  #latency = new Float64Array(1 << 16);
  #op = new Uint8Array(1 << 16);
  #ok = new Uint8Array(1 << 16);
  #version = new Uint8Array(1 << 16);
  readonly #versions = [''];
  #count = 0;

  /** @param serving - the version serving now (undefined: none yet). */
  constructor(private readonly serving: () => string | undefined = () => undefined) {}
  /** Waiters for a call count, by the count they wait for. */
  #waiters: { readonly calls: number; readonly resolve: () => void }[] = [];

  /** Milliseconds since the clock started (the run's load; see {@link startClock}). */
  now(): number {
    return performance.now() - this.#origin;
  }

  /**
   * Starts the clock again at 0 (when the load begins, after a warm-up): what was recorded before
   * moves to negative times, still counted, but before the load's timeline. Returns by how many
   * milliseconds the clock moved, for other times kept on it.
   */
  startClock(): number {
    const shift = performance.now() - this.#origin;
    this.#origin += shift;
    for (let i = 0; i < this.#count; i++) this.#end[i]! -= shift;
    return shift;
  }

  /** Records a call that was due at `dueMs` and completes now. */
  record(op: Op, dueMs: number, ok: boolean): void {
    if (this.#count === this.#end.length) this.#grow();
    const end = this.now();
    const i = this.#count++;
    this.#end[i] = end;
    this.#latency[i] = end - dueMs;
    this.#op[i] = OPS.indexOf(op);
    this.#ok[i] = ok ? 1 : 0;
    this.#version[i] = op === 'write' ? 0 : this.#versionIndex(this.serving());
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

  #versionIndex(version: string | undefined): number {
    if (version === undefined) return 0;
    const known = this.#versions.indexOf(version);
    if (known >= 0) return known;
    if (this.#versions.length === 256) throw new RangeError('more than 255 plugin versions in one run');
    return this.#versions.push(version) - 1;
  }

  /** Every call recorded so far (see {@link CallSamples}). */
  samples(): CallSamples {
    const n = this.#count;
    return {
      count: n,
      end: this.#end.subarray(0, n),
      latency: this.#latency.subarray(0, n),
      op: this.#op.subarray(0, n),
      ok: this.#ok.subarray(0, n),
      version: this.#version.subarray(0, n),
      versions: [...this.#versions],
    };
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

  /** Latencies of the engine's calls (not the PostgreSQL writes) that completed in [from, to) milliseconds. */
  latencies(from = 0, to = Infinity): Float64Array {
    const out: number[] = [];
    for (let i = 0; i < this.#count; i++)
      if (this.#op[i] !== WRITE_OP && this.#end[i]! >= from && this.#end[i]! < to) out.push(this.#latency[i]!);
    return Float64Array.from(out);
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
    this.#version = grow(this.#version);
  }
}

/** The `p` quantile (0..1) of `values` (0 when empty). */
export function percentile(values: ArrayLike<number>, p: number): number {
  if (values.length === 0) return 0;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}
