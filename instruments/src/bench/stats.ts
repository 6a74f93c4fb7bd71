/** The median of `values` (NaN when empty). */
export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** The `q`-quantile of `values` (0 ≤ q ≤ 1), linearly interpolated; NaN when empty. */
function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  return sortedQuantile(sorted, q);
}

/** The `q`-quantile of already sorted values, linearly interpolated; NaN when empty. */
export function sortedQuantile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const at = Math.min(Math.max(q, 0), 1) * (n - 1);
  const lo = Math.floor(at);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

/** A fitted line `y = intercept + slope · x`. */
export interface Line {
  readonly slope: number;
  readonly intercept: number;
  /** Coefficient of determination (1 = every point on the line). */
  readonly r2: number;
}

/** The least-squares line through the points `(xs[i], ys[i])`. */
export function leastSquares(xs: readonly number[], ys: readonly number[]): Line {
  const n = Math.min(xs.length, ys.length);
  if (n < 2) return { slope: Number.NaN, intercept: Number.NaN, r2: Number.NaN };
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    sx += xs[i]!;
    sy += ys[i]!;
  }
  const mx = sx / n;
  const my = sy / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i]! - mx;
    const dy = ys[i]! - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  const r2 = syy === 0 ? 1 : (sxy * sxy) / (sxx * syy);
  return { slope, intercept, r2 };
}

/** Runs the garbage collector when Node runs with `--expose-gc` (the bench script sets it). */
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
}

/** Resolves after `ms` milliseconds (a timer, as a real provider's I/O would take). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Times several variants interleaved: each round runs every variant once (in an order that
 * alternates from round to round), so drift in machine state hits all of them alike. `prepare`
 * runs before each timed call and is not timed. Returns the durations in milliseconds per variant.
 */
export async function interleaved<K extends string>(
  variants: Readonly<Record<K, { prepare?: () => unknown; run: () => unknown }>>,
  rounds: number,
  options: { readonly gcBetween?: boolean } = {},
): Promise<Record<K, number[]>> {
  const names = Object.keys(variants) as K[];
  const out = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<K, number[]>;
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? names : [...names].reverse();
    for (const name of order) {
      const variant = variants[name];
      await variant.prepare?.();
      if (options.gcBetween) collectGarbage();
      const started = performance.now();
      await variant.run();
      out[name].push(performance.now() - started);
    }
  }
  return out;
}
