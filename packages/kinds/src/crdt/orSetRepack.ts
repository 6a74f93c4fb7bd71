import { ByteColumnBuilder, ByteColumnWriter, itemCount } from './byteColumn.js';
import { encodeDots, recordPacked, writeDots } from './orSetPacked.js';
import type { OrSetEntry, PackedOrSet, ReplicaTable } from './orSetPacked.js';
import { comparePrimitives } from './primitive.js';
import type { CrdtPrimitive } from './primitive.js';
import { utf8Of, withLengths } from './stringColumn.js';

/**
 * What the next pack of a changed state starts from: its last pack, the entries of that pack
 * (parallel to its elements), and what changed since.
 */
export interface RepackBase {
  readonly packed: PackedOrSet;
  readonly sorted: readonly OrSetEntry[];
  /** The entries created, changed or removed (left with no dots) since the pack. */
  readonly edits: Set<OrSetEntry>;
  /** True when any entry's dots may have changed (after a merge): they are all encoded again. */
  allDots: boolean;
}

/** The base of the next re-pack after `packed`, whose entries are `sorted`: nothing changed yet. */
export function repackBase(packed: PackedOrSet, sorted: readonly OrSetEntry[]): RepackBase {
  return { packed, sorted, edits: new Set(), allDots: false };
}

/**
 * Records a created, changed or removed entry. False when so many changed (a quarter of the pack)
 * that packing from scratch is as fast: the caller drops the base.
 */
export function recordEdit(base: RepackBase, entry: OrSetEntry): boolean {
  base.edits.add(entry);
  return base.edits.size * 4 <= base.sorted.length;
}

/** A change to the pack: `entry` at index `at` of the pack (`existing`), or new before index `at`. */
interface Change {
  readonly at: number;
  readonly entry: OrSetEntry;
  readonly existing: boolean;
}

/**
 * The next pack, from a previous one and the entries changed since: each change is placed by
 * binary search; the runs of unchanged entries between changes are copied — their elements by
 * reference, their strings and dots as bytes — without looking at them. The result is exactly
 * what packing every entry from scratch gives. `table` is the state's replica table now; when
 * the order of the pack's replicas changed, every dot is encoded again.
 */
export function repackOrSet(
  base: RepackBase,
  table: ReplicaTable,
): { packed: PackedOrSet; sorted: readonly OrSetEntry[] } {
  const { packed, sorted } = base;
  const changes: Change[] = [];
  for (const entry of base.edits) {
    const at = lowerBound(packed.elements, entry.element);
    const existing = at < sorted.length && sorted[at] === entry;
    // An entry created and removed again since the pack changes nothing.
    if (existing || entry.dots.length > 0) changes.push({ at, entry, existing });
  }
  changes.sort(byPlace);
  const allDots = base.allDots || packed.replicas.some((id, i) => table.replicas[i] !== id);
  const firstString = packed.firstString;
  const stringsEnd = firstString + itemCount(packed.strings);
  const dots = new ByteColumnBuilder(packed.dots);
  const strings = new ByteColumnBuilder(packed.strings);
  const pairs: number[] = [];
  let scalars = firstString;
  let from = 0;
  for (const { at, entry, existing } of changes) {
    dots.keep(from, at);
    strings.keep(Math.max(from, firstString) - firstString, Math.min(at, stringsEnd) - firstString);
    from = existing ? at + 1 : at;
    const { element } = entry;
    const scalar = typeof element !== 'string' && !(element instanceof Uint8Array);
    if (entry.dots.length === 0) {
      if (scalar) scalars--;
      continue;
    }
    if (scalar && !existing) scalars++;
    if (!allDots) {
      const item = new ByteColumnWriter(1, 8);
      writeDots(item, entry.dots, table.rank, pairs);
      dots.add(item.finish().bytes);
    }
    if (typeof element !== 'string') continue;
    if (existing) strings.keep(at - firstString, at - firstString + 1);
    else strings.add(utf8Of(element));
  }
  dots.keep(from, sorted.length);
  strings.keep(Math.max(from, firstString) - firstString, stringsEnd - firstString);
  const next = spliceEntries(sorted, packed.elements, changes);
  return {
    packed: recordPacked({
      replicas: table.replicas,
      context: table.context,
      elements: next.elements,
      firstString: scalars,
      strings: withLengths(strings.build(), packed.strings),
      dots: allDots ? encodeDots(next.sorted, table.rank) : dots.build(),
    }),
    sorted: next.sorted,
  };
}

/** Up to this many entries coming or going are spliced in place; more are copied in one pass. */
const FEW_MOVES = 16;

/**
 * The entries and elements after the changes: the same arrays when no entry came or went, else
 * copies with the new entries inserted and the removed ones left out.
 */
function spliceEntries(
  sorted: readonly OrSetEntry[],
  elements: readonly CrdtPrimitive[],
  changes: readonly Change[],
): { sorted: readonly OrSetEntry[]; elements: readonly CrdtPrimitive[] } {
  const moves = changes.filter(({ entry, existing }) => !existing || entry.dots.length === 0);
  if (moves.length === 0) return { sorted, elements };
  if (moves.length <= FEW_MOVES) {
    const [entriesOut, elementsOut] = [sorted.slice(), elements.slice()];
    // From the last change back, so the indices of the earlier ones still hold.
    for (let m = moves.length - 1; m >= 0; m--) {
      const { at, entry, existing } = moves[m]!;
      if (existing) {
        entriesOut.splice(at, 1);
        elementsOut.splice(at, 1);
      } else {
        entriesOut.splice(at, 0, entry);
        elementsOut.splice(at, 0, entry.element);
      }
    }
    return { sorted: entriesOut, elements: elementsOut };
  }
  const [entriesOut, elementsOut]: [OrSetEntry[], CrdtPrimitive[]] = [[], []];
  let from = 0;
  for (const { at, entry, existing } of moves) {
    for (let i = from; i < at; i++) {
      entriesOut.push(sorted[i]!);
      elementsOut.push(elements[i]!);
    }
    from = existing ? at + 1 : at;
    if (existing) continue;
    entriesOut.push(entry);
    elementsOut.push(entry.element);
  }
  for (let i = from; i < sorted.length; i++) {
    entriesOut.push(sorted[i]!);
    elementsOut.push(elements[i]!);
  }
  return { sorted: entriesOut, elements: elementsOut };
}

/** Changes in pack order: by index, new entries before the existing one at the same index. */
function byPlace(a: Change, b: Change): number {
  if (a.at !== b.at) return a.at - b.at;
  if (a.existing !== b.existing) return a.existing ? 1 : -1;
  return comparePrimitives(a.entry.element, b.entry.element);
}

/** The first index whose element is not less than `element`. */
function lowerBound(elements: readonly CrdtPrimitive[], element: CrdtPrimitive): number {
  let [lo, hi] = [0, elements.length];
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (comparePrimitives(elements[mid]!, element) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
