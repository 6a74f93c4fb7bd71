import { ByteColumnWriter } from './byteColumn.js';
import type { ByteColumn } from './byteColumn.js';
import { ElementMap } from './elementMap.js';
import type { CrdtPrimitive } from './primitive.js';
import { encodeStrings } from './stringColumn.js';
import type { StringColumn } from './stringColumn.js';
import { comparePrimitives } from './primitive.js';
import { readVarint, VarintReader, varintSize, writeVarint } from './varint.js';

/** One element of an OR-Set and its dots, flat `[replicaIndex, counter, …]`, at most one dot per replica. */
export interface OrSetEntry {
  readonly element: CrdtPrimitive;
  /** Set to `[]` when the element leaves the set (so a stale reference to the entry sees it gone). */
  dots: number[];
}

/**
 * An OR-Set in its canonical form (equal states, equal form), what its persisted formats hold:
 * - `replicas`: the replica table, ids in strictly increasing UTF-16 order;
 * - `context`: the causal context parallel to it (replica i has made dots 1..context[i], all ≥ 1);
 * - `elements`: strictly increasing by `comparePrimitives` (booleans, numbers, bigints, strings,
 *   bytes); the strings are `elements[firstString, firstString + count)`, their UTF-8 in `strings`;
 * - `dots`: one item per element: its dot count, then `replicaIndex, counter` per dot with strictly
 *   increasing replica indices, all unsigned varints (the items concatenated are what is persisted).
 * Immutable once built.
 */
export interface PackedOrSet {
  readonly replicas: readonly string[];
  readonly context: readonly number[];
  readonly elements: readonly CrdtPrimitive[];
  readonly firstString: number;
  readonly strings: StringColumn;
  readonly dots: ByteColumn;
}

/** The packed forms made here, by a format's decoder or by a re-pack (what a state may be built on). */
const packedForms = new WeakSet<PackedOrSet>();

/** Records `packed` as a packed form built by this package (checked, or packed from live entries). */
export function recordPacked(packed: PackedOrSet): PackedOrSet {
  packedForms.add(packed);
  return packed;
}

/** True when `value` is a packed form built by this package. */
export function isPackedOrSet(value: unknown): value is PackedOrSet {
  return typeof value === 'object' && value !== null && packedForms.has(value as PackedOrSet);
}

/** A state's replicas in persisted order, and `rank[i]`: where the replica interned as `i` goes. */
export interface ReplicaTable {
  readonly replicas: readonly string[];
  readonly context: readonly number[];
  readonly rank: readonly number[];
}

/** The persisted order of interned replica ids and their context. */
export function replicaTable(ids: readonly string[], context: readonly number[]): ReplicaTable {
  const order = ids.map((_, i) => i).sort((a, b) => (ids[a]! < ids[b]! ? -1 : 1));
  const rank = new Array<number>(ids.length).fill(0);
  for (const [i, r] of order.entries()) rank[r] = i;
  return { replicas: order.map((r) => ids[r]!), context: order.map((r) => context[r]!), rank };
}

/** The packed form of live entries already in element order, every column encoded from scratch. */
export function packOrSet(table: ReplicaTable, sorted: readonly OrSetEntry[]): PackedOrSet {
  const elements = sorted.map((entry) => entry.element);
  const [firstString, end] = stringRange(elements);
  return recordPacked({
    replicas: table.replicas,
    context: table.context,
    elements,
    firstString,
    strings: encodeStrings(elements.slice(firstString, end) as string[]),
    dots: encodeDots(sorted, table.rank),
  });
}

/** The dots column of entries (see {@link PackedOrSet}), `rank` mapping their replica indices. */
export function encodeDots(sorted: readonly OrSetEntry[], rank: readonly number[]): ByteColumn {
  // Most dots items take 3 or 4 bytes; a writer grows when it must.
  const writer = new ByteColumnWriter(sorted.length, sorted.length * 4 + 32);
  const pairs: number[] = [];
  for (const entry of sorted) writeDots(writer, entry.dots, rank, pairs);
  return writer.finish();
}

/** Appends the dots item of one entry (flat `[replicaIndex, counter, …]`, indices as interned). */
export function writeDots(
  writer: ByteColumnWriter,
  flat: readonly number[],
  rank: readonly number[],
  pairs: number[],
): void {
  const count = flat.length >> 1;
  // A count and two varints per dot, 8 bytes each at most.
  writer.reserve(8 + 16 * count);
  const out = writer.bytes;
  let at = writeVarint(out, writer.at, count);
  if (count === 1) {
    at = writeVarint(out, at, rank[flat[0]!]!);
    at = writeVarint(out, at, flat[1]!);
  } else {
    pairs.length = 0;
    for (let i = 0; i < flat.length; i += 2) pairs.push(rank[flat[i]!]!, flat[i + 1]!);
    sortPairs(pairs);
    for (const value of pairs) at = writeVarint(out, at, value);
  }
  writer.at = at;
  writer.endItem();
}

/**
 * The entries of a packed OR-Set (already checked by a format's decoder, or packed here), in
 * element order and indexed by element.
 */
export function unpackOrSet(packed: PackedOrSet): { entries: ElementMap<OrSetEntry>; sorted: OrSetEntry[] } {
  const entries = new ElementMap<OrSetEntry>();
  const sorted = new Array<OrSetEntry>(packed.elements.length);
  const varints = new VarintReader(packed.dots.bytes, (message) => new Error(`a packed or-set is corrupt: ${message}`));
  for (let e = 0; e < sorted.length; e++) {
    const element = packed.elements[e]!;
    const dots = new Array<number>(varints.next() * 2);
    for (let i = 0; i < dots.length; i++) dots[i] = varints.next();
    const entry = { element, dots };
    entries.set(element, entry);
    sorted[e] = entry;
  }
  return { entries, sorted };
}

/** The index of `element` (a valid primitive, `-0` as `0`) among the packed elements, or -1 (binary search). */
export function packedIndexOf(packed: PackedOrSet, element: CrdtPrimitive): number {
  const elements = packed.elements;
  let [lo, hi] = [0, elements.length - 1];
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const order = comparePrimitives(elements[mid]!, element);
    if (order === 0) return mid;
    if (order < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/**
 * The dots of element `e` of a packed OR-Set, flat `[replicaIndex, counter, …]` in its replica
 * order, written into `out` (reused by the caller: nothing is allocated per element).
 */
export function packedDots(packed: PackedOrSet, e: number, out: number[]): number[] {
  const { bytes, offsets } = packed.dots;
  const fail = (message: string): Error => new Error(`a packed or-set is corrupt: ${message}`);
  let at = offsets[e]!;
  const count = readVarint(bytes, at, fail);
  at += varintSize(count);
  out.length = 2 * count;
  for (let i = 0; i < out.length; i++) {
    const value = readVarint(bytes, at, fail);
    at += varintSize(value);
    out[i] = value;
  }
  return out;
}

/**
 * Where the strings of sorted elements are, `[first, end)`: booleans, numbers and bigints come
 * before them, bytes after.
 */
export function stringRange(elements: readonly CrdtPrimitive[]): [number, number] {
  let first = 0;
  while (first < elements.length && typeof elements[first] !== 'string' && !(elements[first] instanceof Uint8Array))
    first++;
  let end = first;
  while (end < elements.length && typeof elements[end] === 'string') end++;
  return [first, end];
}

/** Dots of at most this many replicas are put in replica order by insertion; more by a sort. */
const FEW_DOTS = 16;

/** Sorts flat `[replica, counter, …]` pairs by replica. */
function sortPairs(pairs: number[]): void {
  if (pairs.length > 2 * FEW_DOTS) {
    const sorted = [];
    for (let i = 0; i < pairs.length; i += 2) sorted.push([pairs[i]!, pairs[i + 1]!] as const);
    sorted.sort((x, y) => x[0] - y[0]);
    for (const [i, [r, k]] of sorted.entries()) [pairs[2 * i], pairs[2 * i + 1]] = [r, k];
    return;
  }
  for (let i = 2; i < pairs.length; i += 2) {
    const r = pairs[i]!;
    const k = pairs[i + 1]!;
    let j = i - 2;
    for (; j >= 0 && pairs[j]! > r; j -= 2) {
      pairs[j + 2] = pairs[j]!;
      pairs[j + 3] = pairs[j + 1]!;
    }
    pairs[j + 2] = r;
    pairs[j + 3] = k;
  }
}
