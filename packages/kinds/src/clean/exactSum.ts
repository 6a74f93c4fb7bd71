/**
 * Exact summation of doubles (Shewchuk's algorithm, as in Python's `math.fsum`): a running sum is
 * kept as non-overlapping partials whose exact total is the exact sum of the inputs, so adding the
 * same numbers in any order or grouping gives the same correctly rounded result. That is what makes
 * partial aggregates mergeable deterministically.
 */

/** An exact running sum of doubles. Treat as immutable: {@link addExact} returns a new one. */
export interface ExactSum {
  /** Non-overlapping partials in increasing magnitude; their exact total is the finite part of the sum. */
  readonly partials: readonly number[];
  /** NaN was added, or +Infinity and -Infinity both were. */
  readonly nan: boolean;
  /** +Infinity was added, or the finite part overflowed upwards. */
  readonly posInf: boolean;
  /** -Infinity was added, or the finite part overflowed downwards. */
  readonly negInf: boolean;
}

/** The empty sum. */
export const EMPTY_SUM: ExactSum = Object.freeze({
  partials: Object.freeze<number[]>([]),
  nan: false,
  posInf: false,
  negInf: false,
});

/** Mutable working copy used while adding a run of values. */
export interface SumBuilder {
  partials: number[];
  nan: boolean;
  posInf: boolean;
  negInf: boolean;
}

/** A working copy of `sum` to add values to. */
export function builderOf(sum: ExactSum): SumBuilder {
  return { partials: [...sum.partials], nan: sum.nan, posInf: sum.posInf, negInf: sum.negInf };
}

/** Freezes a builder back into an {@link ExactSum}. */
export function freezeSum(builder: SumBuilder): ExactSum {
  return Object.freeze({
    partials: Object.freeze(builder.partials),
    nan: builder.nan,
    posInf: builder.posInf,
    negInf: builder.negInf,
  });
}

/**
 * Adds `value` to `builder` exactly. A running total beyond the double range saturates to ±Infinity
 * (exactness holds while every running partial stays finite, i.e. |sum| < 2^1024).
 */
export function addTo(builder: SumBuilder, value: number): void {
  if (!Number.isFinite(value)) {
    if (Number.isNaN(value)) builder.nan = true;
    else if (value > 0) builder.posInf = true;
    else builder.negInf = true;
    return;
  }
  const partials = builder.partials;
  let x = value;
  let i = 0;
  for (let j = 0; j < partials.length; j++) {
    let y = partials[j]!;
    if (Math.abs(x) < Math.abs(y)) [x, y] = [y, x];
    const hi = x + y;
    if (!Number.isFinite(hi)) {
      if (hi > 0) builder.posInf = true;
      else builder.negInf = true;
      partials.length = 0;
      return;
    }
    const lo = y - (hi - x);
    if (lo !== 0) partials[i++] = lo;
    x = hi;
  }
  partials.length = i;
  partials.push(x);
}

/** `sum` plus every partial of `other`: the exact sum of both. */
export function addExact(sum: ExactSum, other: ExactSum): ExactSum {
  const builder = builderOf(sum);
  for (const partial of other.partials) addTo(builder, partial);
  builder.nan ||= other.nan;
  builder.posInf ||= other.posInf;
  builder.negInf ||= other.negInf;
  return freezeSum(builder);
}

/** The correctly rounded value of an exact sum (NaN / ±Infinity when those were added). */
export function roundSum(sum: ExactSum): number {
  if (sum.nan || (sum.posInf && sum.negInf)) return Number.NaN;
  if (sum.posInf) return Number.POSITIVE_INFINITY;
  if (sum.negInf) return Number.NEGATIVE_INFINITY;
  const partials = sum.partials;
  let n = partials.length;
  if (n === 0) return 0;
  let hi = partials[--n]!;
  let lo = 0;
  while (n > 0) {
    const x = hi;
    const y = partials[--n]!;
    hi = x + y;
    lo = y - (hi - x);
    if (lo !== 0) break;
  }
  // Round half to even correctly when the rest of the partials push past the halfway point.
  if (n > 0 && ((lo < 0 && partials[n - 1]! < 0) || (lo > 0 && partials[n - 1]! > 0))) {
    const y = lo * 2;
    const x = hi + y;
    if (y === x - hi) hi = x;
  }
  return hi;
}
