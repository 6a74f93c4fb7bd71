import { compareBytes } from './orderedKeys.js';
import type { SortedKeys } from './orderedKeys.js';

/** A bound value: a number or bigint for numeric keys, UTF-8 bytes for string keys. */
export type KeyBound = number | bigint | Uint8Array;

/** One lookup: keys in `[lo, hi]` (each bound optional, each end inclusive or not). */
export interface KeyRange {
  readonly lo: KeyBound | undefined;
  readonly loInclusive: boolean;
  readonly hi: KeyBound | undefined;
  readonly hiInclusive: boolean;
}

/**
 * The positions `[start, end)` of the sorted keys inside `range`, by two binary searches.
 * An empty range gives `start === end`.
 */
export function searchRange(keys: SortedKeys, range: KeyRange): { start: number; end: number } {
  const start = range.lo === undefined ? 0 : partition(keys, range.lo, !range.loInclusive);
  const end = range.hi === undefined ? keys.count : partition(keys, range.hi, range.hiInclusive);
  return { start, end: Math.max(start, end) };
}

/**
 * The first position whose key is above `bound` (`orEqual` false: the first key `>= bound`;
 * `orEqual` true: the first key `> bound`), i.e. the count of keys below (or at) the bound.
 */
function partition(keys: SortedKeys, bound: KeyBound, orEqual: boolean): number {
  let lo = 0;
  let hi = keys.count;
  if (bound instanceof Uint8Array) {
    const offsets = keys.offsets!;
    const bytes = keys.bytes!;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const cmp = compareBytes(bytes, offsets[mid]!, offsets[mid + 1]!, bound, 0, bound.length);
      if (cmp < 0 || (orEqual && cmp === 0)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  const values = keys.values!;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    // Relational operators compare numbers and bigints exactly, in any mix.
    const key = values[mid]!;
    if (key < bound || (orEqual && key <= bound)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
