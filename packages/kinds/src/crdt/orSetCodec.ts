import type { BodyReader } from './bodyReader.js';
import { ElementMap } from './elementMap.js';
import { comparePrimitives, ownPrimitive, primitiveProblem } from './primitive.js';
import type { CrdtPrimitive } from './primitive.js';
import { VarintReader, varintSize, VarintWriter } from './varint.js';

/** One element of an OR-Set and its dots, flat `[replicaIndex, counter, …]`, at most one dot per replica. */
export interface OrSetEntry {
  readonly element: CrdtPrimitive;
  /** Set to `[]` when the element leaves the set (so a stale reference to the entry sees it gone). */
  dots: number[];
}

/**
 * An OR-Set in its persisted (format 1) and canonical form, `[replicas, context, elements, dots]`:
 * - `replicas`: the replica table, ids in strictly increasing UTF-16 order;
 * - `context`: the causal context parallel to it (replica i has made dots 1..context[i], all ≥ 1);
 * - `elements`: strictly increasing by {@link comparePrimitives};
 * - `dots`: one byte string of unsigned varints: per element in order, its dot count, then
 *   `replicaIndex, counter` per dot with strictly increasing replica indices.
 * Equal states have equal bytes. Immutable once built.
 */
export interface PackedOrSet {
  readonly replicas: readonly string[];
  readonly context: readonly number[];
  readonly elements: readonly CrdtPrimitive[];
  readonly dots: Uint8Array;
}

/** The canonical packed form of a state's replica table, context and entries (sorted by element). */
export function packOrSet(
  replicas: readonly string[],
  context: readonly number[],
  entries: readonly OrSetEntry[],
): PackedOrSet {
  const order = replicas.map((_, i) => i).sort((a, b) => (replicas[a]! < replicas[b]! ? -1 : 1));
  const rank = new Array<number>(replicas.length).fill(0);
  for (const [i, r] of order.entries()) rank[r] = i;
  // Two passes over the dots, sizing then writing the varints, with no intermediate array.
  let size = 0;
  for (const { dots } of entries) {
    size += varintSize(dots.length / 2);
    for (let i = 0; i < dots.length; i += 2) size += varintSize(rank[dots[i]!]!) + varintSize(dots[i + 1]!);
  }
  const writer = new VarintWriter(size);
  const elements = new Array<CrdtPrimitive>(entries.length);
  for (let e = 0; e < entries.length; e++) {
    const { element, dots } = entries[e]!;
    elements[e] = element;
    writer.write(dots.length / 2);
    if (dots.length === 2) {
      writer.write(rank[dots[0]!]!);
      writer.write(dots[1]!);
      continue;
    }
    const pairs: [number, number][] = [];
    for (let i = 0; i < dots.length; i += 2) pairs.push([rank[dots[i]!]!, dots[i + 1]!]);
    pairs.sort((x, y) => x[0] - y[0]);
    for (const [r, k] of pairs) {
      writer.write(r);
      writer.write(k);
    }
  }
  return {
    replicas: order.map((r) => replicas[r]!),
    context: order.map((r) => context[r]!),
    elements,
    dots: writer.bytes,
  };
}

/**
 * A persisted OR-Set body, checked strictly and in one pass (no hashing): everything
 * {@link PackedOrSet} promises, every dot within the context, no byte left over. Anything else is
 * `CORRUPT_INPUT`. Byte elements and the dots are copied out of the input.
 */
export function decodeOrSetBody(body: unknown, reader: BodyReader): PackedOrSet {
  const [replicasPart, contextPart, elementsPart, dotsPart] = reader.array(
    body,
    'the body [replicas, context, elements, dots]',
    4,
  );
  const replicas = reader.replicaIds(replicasPart, 'replicas');
  for (let i = 1; i < replicas.length; i++)
    if (!(replicas[i - 1]! < replicas[i]!)) throw reader.fail(`replicas are not in increasing order at index ${i}`);
  const context = reader.integers(contextPart, 'context', replicas.length, 1);
  const elements = reader.array(elementsPart, 'elements') as CrdtPrimitive[];
  const dots = reader.bytes(dotsPart, 'dots');
  // Each element takes at least three one-byte varints (count, replica, counter).
  if (dots.length < elements.length * 3)
    throw reader.fail(`dots: ${dots.length} bytes cannot hold the dots of ${elements.length} elements`);
  const varints = new VarintReader(dots, (message) => reader.fail(`dots: ${message}`));
  for (let e = 0; e < elements.length; e++) {
    const value: unknown = elements[e];
    const problem = primitiveProblem(value);
    if (problem !== undefined) throw reader.fail(`elements[${e}]: ${problem}`);
    const element = typeof value === 'string' ? value : ownPrimitive(value as CrdtPrimitive);
    elements[e] = element;
    if (e > 0 && comparePrimitives(elements[e - 1]!, element) >= 0)
      throw reader.fail(`elements[${e}] is not greater than the element before it`);
    const count = varints.next();
    if (count < 1 || count > replicas.length)
      throw reader.fail(`elements[${e}] has ${count} dots (1..${replicas.length} expected)`);
    let previous = -1;
    for (let d = 0; d < count; d++) {
      const r = varints.next();
      const k = varints.next();
      if (r <= previous || r >= replicas.length)
        throw reader.fail(`elements[${e}] has a dot of replica index ${r} (${replicas.length} replicas, increasing)`);
      if (k < 1 || k > context[r]!)
        throw reader.fail(
          `elements[${e}] has dot ${k} of ${JSON.stringify(replicas[r])}, outside its context 1..${context[r]}`,
        );
      previous = r;
    }
  }
  varints.expectEnd();
  return { replicas, context, elements, dots: dots.slice() };
}

/**
 * The entries of a packed OR-Set (already checked by {@link decodeOrSetBody} or made by
 * {@link packOrSet}), as a map and in element order.
 */
export function unpackOrSet(packed: PackedOrSet): { entries: ElementMap<OrSetEntry>; sorted: OrSetEntry[] } {
  const entries = new ElementMap<OrSetEntry>();
  const sorted: OrSetEntry[] = [];
  const varints = new VarintReader(packed.dots, (message) => new Error(`a packed or-set is corrupt: ${message}`));
  for (const element of packed.elements) {
    const dots = new Array<number>(varints.next() * 2);
    for (let i = 0; i < dots.length; i++) dots[i] = varints.next();
    const entry = { element, dots };
    entries.set(element, entry);
    sorted.push(entry);
  }
  return { entries, sorted };
}

/**
 * Entries in element order, reusing the order of a previous pack: `previous` (sorted, entries with
 * no dots are gone) merged with the entries created since, `added`, once sorted.
 */
export function sortEntries(
  previous: readonly OrSetEntry[] | undefined,
  added: readonly OrSetEntry[],
  all: () => OrSetEntry[],
): OrSetEntry[] {
  const byElement = (a: OrSetEntry, b: OrSetEntry): number => comparePrimitives(a.element, b.element);
  if (previous === undefined || added.length * 4 > previous.length) return all().sort(byElement);
  const fresh = added.filter((entry) => entry.dots.length > 0).sort(byElement);
  const out: OrSetEntry[] = [];
  let j = 0;
  for (const entry of previous) {
    if (entry.dots.length === 0) continue;
    while (j < fresh.length && byElement(fresh[j]!, entry) < 0) out.push(fresh[j++]!);
    out.push(entry);
  }
  while (j < fresh.length) out.push(fresh[j++]!);
  return out;
}
