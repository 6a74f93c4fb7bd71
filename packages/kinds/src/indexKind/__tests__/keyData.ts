/**
 * Test data for the ordered index: per key type, an arbitrary of keys (with duplicates, nulls and
 * edge values), query batch builders, and a brute-force filter reference.
 */
import { fc } from '@fast-check/vitest';
import { Bool, Float64, Int32, Int64, Table, TimestampMillisecond, Uint8, Utf8, vectorFromArray } from 'apache-arrow';
import type { DataType, RecordBatch } from 'apache-arrow';

/** A key value as the tests build it. */
export type Key = number | bigint | string;

/** How one key type is generated and ordered. */
export interface KeySpec {
  readonly name: string;
  readonly type: () => DataType;
  /** Type of the query's bound columns (may differ from the key type where the index allows it). */
  readonly boundType: () => DataType;
  /** Keys to index (may include values that are not indexed, like NaN). */
  readonly key: fc.Arbitrary<Key>;
  /** Bounds to query with (never NaN). */
  readonly bound: fc.Arbitrary<Key>;
  /** Whether a non-null key is indexed (NaN is not). */
  readonly indexed: (key: Key) => boolean;
}

const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');

/** Total order of the index: numeric order for numbers and bigints, UTF-8 byte order for strings. */
function compareKeys(a: Key, b: Key): number {
  if (typeof a === 'string' && typeof b === 'string') return Buffer.compare(utf8(a), utf8(b));
  return a < b ? -1 : a > b ? 1 : 0;
}

const smallInt = fc.integer({ min: -20, max: 20 });
const float = fc.oneof(
  fc.constantFrom(-0, 0, 1.5, -1.5, Infinity, -Infinity),
  fc.double({ min: -10, max: 10, noNaN: true }),
);
const bigint = fc.oneof(fc.constantFrom(-(2n ** 63n), 2n ** 63n - 1n, 0n, -1n), fc.bigInt({ min: -5n, max: 5n }));
const text = fc.oneof(
  fc.constantFrom('', 'a', 'ab', 'b', 'é', '\u{ffff}', '😀', 'z'),
  fc.string({ unit: 'grapheme', maxLength: 3 }),
);

/** The key types the property tests cover. */
export const keySpecs: readonly KeySpec[] = [
  {
    name: 'Int32',
    type: () => new Int32(),
    boundType: () => new Float64(),
    key: smallInt,
    bound: fc.oneof(smallInt, fc.double({ min: -21, max: 21, noNaN: true })),
    indexed: () => true,
  },
  {
    name: 'Uint8',
    type: () => new Uint8(),
    boundType: () => new Int32(),
    key: fc.integer({ min: 0, max: 255 }),
    bound: fc.integer({ min: -1, max: 256 }),
    indexed: () => true,
  },
  {
    name: 'Float64',
    type: () => new Float64(),
    boundType: () => new Float64(),
    key: fc.oneof(float, fc.constant(NaN)),
    bound: float,
    indexed: (k) => k === k,
  },
  {
    name: 'Int64',
    type: () => new Int64(),
    boundType: () => new Int64(),
    key: bigint,
    bound: bigint,
    indexed: () => true,
  },
  { name: 'Utf8', type: () => new Utf8(), boundType: () => new Utf8(), key: text, bound: text, indexed: () => true },
  {
    name: 'Timestamp',
    type: () => new TimestampMillisecond(),
    boundType: () => new TimestampMillisecond(),
    key: smallInt.map((x) => x * 1000),
    bound: smallInt.map((x) => x * 1000),
    indexed: () => true,
  },
];

/** One range lookup (`null` bound: unbounded; `null` flag: the default, inclusive). */
export interface RangeLookup {
  readonly lo: Key | null;
  readonly hi: Key | null;
  readonly loInclusive: boolean | null;
  readonly hiInclusive: boolean | null;
}

/** Generated keys and lookups for one key type. */
export interface KeyCase {
  readonly keys: (Key | null)[];
  readonly ranges: RangeLookup[];
  readonly equals: (Key | null)[];
}

/** Up to `maxRows` keys (nulls included), and lookups whose bounds are often existing keys. */
export function keyCase(spec: KeySpec, maxRows = 300): fc.Arbitrary<KeyCase> {
  return fc.array(fc.option(spec.key, { freq: 8 }), { maxLength: maxRows }).chain((keys) => {
    const present = keys.filter((k): k is Key => k !== null && spec.indexed(k));
    const bound = present.length === 0 ? spec.bound : fc.oneof(spec.bound, fc.constantFrom(...present));
    const flag = fc.option(fc.boolean(), { freq: 3 });
    const range = fc.record({
      lo: fc.option(bound, { freq: 4 }),
      hi: fc.option(bound, { freq: 4 }),
      loInclusive: flag,
      hiInclusive: flag,
    });
    return fc.record({
      keys: fc.constant(keys),
      ranges: fc.array(range, { minLength: 1, maxLength: 5 }),
      equals: fc.array(fc.option(bound, { freq: 6 }), { minLength: 1, maxLength: 5 }),
    });
  });
}

/** A table with the keys in column `k`. */
export function keyTable(spec: KeySpec, keys: readonly (Key | null)[]): Table {
  return new Table({ k: vectorFromArray(keys, spec.type()) });
}

/** A range query batch: `lo`, `hi` (of `type`), `loInclusive`, `hiInclusive`. */
export function rangeBatch(type: DataType, ranges: readonly RangeLookup[]): RecordBatch {
  return new Table({
    lo: vectorFromArray(
      ranges.map((r) => r.lo),
      type,
    ),
    hi: vectorFromArray(
      ranges.map((r) => r.hi),
      type,
    ),
    loInclusive: vectorFromArray(
      ranges.map((r) => r.loInclusive),
      new Bool(),
    ),
    hiInclusive: vectorFromArray(
      ranges.map((r) => r.hiInclusive),
      new Bool(),
    ),
  }).batches[0]!;
}

/** An equality query batch: a `key` column of `type`. */
export function equalityBatch(type: DataType, keys: readonly (Key | null)[]): RecordBatch {
  return new Table({ key: vectorFromArray(keys, type) }).batches[0]!;
}

/** The `query` and `row` columns of a result batch. */
export function matchArrays(batch: RecordBatch): { query: number[]; row: number[] } {
  return {
    query: Array.from(batch.getChild('query')!.toArray() as Int32Array),
    row: Array.from(batch.getChild('row')!.toArray() as Int32Array),
  };
}

/** Brute force: every indexed key inside each lookup, sorted by (key, row id), first `k`. */
export function referenceLookup(
  spec: KeySpec,
  keys: readonly (Key | null)[],
  ranges: readonly (RangeLookup | null)[],
  k: number,
): { query: number[]; row: number[] } {
  const out = { query: [] as number[], row: [] as number[] };
  ranges.forEach((r, qi) => {
    if (r === null || k <= 0) return;
    const hits = keys.flatMap((key, row) => {
      if (key === null || !spec.indexed(key)) return [];
      const lo = r.lo === null ? 1 : compareKeys(key, r.lo);
      const hi = r.hi === null ? -1 : compareKeys(key, r.hi);
      const inside =
        (lo > 0 || (lo === 0 && r.loInclusive !== false)) && (hi < 0 || (hi === 0 && r.hiInclusive !== false));
      return inside ? [{ key, row }] : [];
    });
    hits.sort((a, b) => compareKeys(a.key, b.key) || a.row - b.row);
    for (const { row } of hits.slice(0, k)) {
      out.query.push(qi);
      out.row.push(row);
    }
  });
  return out;
}

/** Equality lookups as ranges (`null` key: matches nothing). */
export function equalityRanges(keys: readonly (Key | null)[]): (RangeLookup | null)[] {
  return keys.map((key) => (key === null ? null : { lo: key, hi: key, loInclusive: true, hiInclusive: true }));
}
