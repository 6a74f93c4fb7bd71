/**
 * Layout `ordered/1` of an ordered index snapshot: the sorted keys and row ids of a handle as they
 * lie in memory, handed to the next version's provider in the same process without a copy (see
 * `IndexSnapshot` of `@baton/core`).
 *
 * - `meta`: exactly `{ keyType, timezone, count, crc32 }` — `keyType` one of `int8`..`int64`,
 *   `uint8`..`uint64`, `float32`, `float64`, `utf8`, `timestamp[s|ms|us|ns]`, `date[day|ms]` (plain
 *   text: the Arrow type object of one copy of apache-arrow is not handed to another); `timezone` a
 *   string of at most 256 characters for a zoned timestamp, `null` otherwise; `count` an integer in
 *   0..2^31-1; `crc32` the CRC-32 of the key buffers then the row ids (computed at build or open,
 *   carried so a persist of the adopted handle writes the same bytes);
 * - `buffers`: for `utf8`, the offsets (`Int32Array`, `count + 1`, from 0 to the byte count), the
 *   UTF-8 bytes (`Uint8Array`) and the row ids (`Uint32Array`, `count`); for the others, the keys
 *   (the key type's typed array, `count`) and the row ids.
 *
 * Nothing else: a field or buffer more is another layout. Nothing is copied or verified (no CRC
 * pass, no check of the order); the shape is, strictly, and the adopting provider's data limit.
 */
import type { IndexSnapshot } from '@baton/core';
import {
  DataType,
  DateDay,
  DateMillisecond,
  DateUnit,
  Float32,
  Float64,
  Int,
  Timestamp,
  TimeUnit,
  Utf8,
} from 'apache-arrow';
import { describeArgument } from '../codec/describeArgument.js';
import { typeName } from './indexErrors.js';
import { MAX_INDEX_ROWS, ORDERED_KIND } from './indexLimits.js';
import { checkMetaKeys, invalidSnapshot, snapshotParts, typedArrayName } from './indexSnapshot.js';
import type { OrderedIndexState } from './orderedIndexState.js';
import { keyFamily } from './orderedKeys.js';
import type { NumericKeyArray, SortedKeys } from './orderedKeys.js';

/** The layout name of an ordered index snapshot (see the module comment). */
const ORDERED_SNAPSHOT_LAYOUT = 'ordered/1';
const META_KEYS = ['keyType', 'timezone', 'count', 'crc32'] as const;
const MAX_TIMEZONE = 256;
const UNITS: readonly (readonly [string, TimeUnit])[] = [
  ['s', TimeUnit.SECOND],
  ['ms', TimeUnit.MILLISECOND],
  ['us', TimeUnit.MICROSECOND],
  ['ns', TimeUnit.NANOSECOND],
];
const INTS = [8, 16, 32, 64] as const;

/** The Arrow key types a snapshot can name, by name. */
const KEY_TYPES: ReadonlyMap<string, (timezone: string | null) => DataType> = new Map<
  string,
  (timezone: string | null) => DataType
>([
  ...INTS.flatMap((bits) => [
    [`int${bits}`, () => new Int(true, bits)] as const,
    [`uint${bits}`, () => new Int(false, bits)] as const,
  ]),
  ['float32', () => new Float32()],
  ['float64', () => new Float64()],
  ['utf8', () => new Utf8()],
  ...UNITS.map(([name, unit]) => [`timestamp[${name}]`, (zone: string | null) => new Timestamp(unit, zone)] as const),
  ['date[day]', () => new DateDay()],
  ['date[ms]', () => new DateMillisecond()],
]);

/** The snapshot name of a supported key type (`int32`, `timestamp[ms]`, …) and its time zone. */
function keyTypeName(type: DataType): { readonly keyType: string; readonly timezone: string | null } {
  if (DataType.isUtf8(type)) return { keyType: 'utf8', timezone: null };
  if (DataType.isInt(type)) return { keyType: `${type.isSigned ? '' : 'u'}int${type.bitWidth}`, timezone: null };
  if (DataType.isFloat(type)) return { keyType: `float${type.ArrayType.BYTES_PER_ELEMENT * 8}`, timezone: null };
  if (DataType.isTimestamp(type))
    return {
      keyType: `timestamp[${UNITS.find(([, unit]) => unit === type.unit)![0]}]`,
      timezone: type.timezone ?? null,
    };
  if (DataType.isDate(type)) return { keyType: `date[${type.unit === DateUnit.DAY ? 'day' : 'ms'}]`, timezone: null };
  throw new TypeError(`not an ordered key type: ${typeName(type)}`); // unreachable: the handle holds a keyFamily type
}

/** The `ordered/1` snapshot of `state`, sharing its buffers (frozen: neither side can swap a part). */
export function orderedSnapshot(state: OrderedIndexState): IndexSnapshot {
  const { keys, crc32 } = state;
  const buffers: ArrayBufferView[] =
    keys.family === 'utf8' ? [keys.offsets!, keys.bytes!, keys.rowIds] : [keys.values!, keys.rowIds];
  return Object.freeze({
    kind: ORDERED_KIND,
    layout: ORDERED_SNAPSHOT_LAYOUT,
    meta: Object.freeze({ ...keyTypeName(keys.type), count: keys.count, crc32 }),
    buffers: Object.freeze(buffers),
    byteLength: buffers.reduce((sum, view) => sum + view.byteLength, 0),
  });
}

/**
 * The sorted keys and CRC-32 of an `ordered/1` snapshot, its buffers shared; `undefined` for an
 * ordered snapshot of another layout. A snapshot of another kind, or of this layout with a wrong
 * shape (a meta field missing, unknown, of the wrong type or out of range; a buffer missing, extra,
 * of the wrong type or length; offsets that do not span the bytes; data over `maxBytes`), is
 * `INVALID_ARGUMENT`.
 */
export function readOrderedSnapshot(
  snapshot: unknown,
  maxBytes: number,
): { readonly keys: SortedKeys; readonly crc32: number } | undefined {
  const parts = snapshotParts(snapshot, ORDERED_KIND, ORDERED_SNAPSHOT_LAYOUT);
  if (parts === undefined) return undefined;
  const fail = (reason: string): Error => invalidSnapshot(ORDERED_KIND, reason);
  const { meta, buffers } = parts;
  checkMetaKeys(ORDERED_KIND, meta, META_KEYS);
  const { keyType, timezone, count, crc32 } = meta;
  const make = typeof keyType === 'string' ? KEY_TYPES.get(keyType) : undefined;
  if (make === undefined)
    throw fail(`meta.keyType ${describeArgument(keyType)} is not a key type (${[...KEY_TYPES.keys()].join(', ')})`);
  const name = keyType as string;
  const zoned = name.startsWith('timestamp');
  if (!(timezone === null || (zoned && typeof timezone === 'string' && timezone.length <= MAX_TIMEZONE)))
    throw fail(
      `meta.timezone must be null${zoned ? ` or a string of at most ${MAX_TIMEZONE} characters` : ''}, not ${describeArgument(timezone)}`,
    );
  const integer = (name: string, value: unknown, max: number): number => {
    if (!Number.isSafeInteger(value) || (value as number) < 0 || (value as number) > max)
      throw fail(`meta.${name} must be an integer in 0..${max}, not ${describeArgument(value)}`);
    return value as number;
  };
  const n = integer('count', count, MAX_INDEX_ROWS);
  const crc = integer('crc32', crc32, 0xffff_ffff);
  const type = make(timezone);
  const family = keyFamily(type)!;
  const dataBytes = buffers.reduce((sum, view) => sum + view.byteLength, 0);
  if (dataBytes > maxBytes) throw fail(`the index holds ${dataBytes} bytes, over the limit of ${maxBytes}`);
  const expected = family === 'utf8' ? 3 : 2;
  if (buffers.length !== expected) throw fail(`a ${name} index has ${expected} buffers, not ${buffers.length}`);
  const buffer = (at: number, name: string, length: number | undefined, what: string): unknown => {
    // Every buffer is a live typed array (checked by snapshotParts): its name and length can be read.
    const view = buffers[at] as ArrayBufferView & { readonly length: number };
    const actual = typedArrayName(view);
    if (actual !== name || (length !== undefined && view.length !== length))
      throw fail(
        `buffers[${at}] (${what}) must be a ${name}${length === undefined ? '' : ` of ${length}`}, not a ${actual} of ${view.length}`,
      );
    return view;
  };
  const rowIds = buffer(expected - 1, 'Uint32Array', n, 'row ids') as Uint32Array;
  if (family !== 'utf8') {
    const ArrayType = type.ArrayType as { readonly name: string };
    const values = buffer(0, ArrayType.name, n, 'keys') as NumericKeyArray;
    return { keys: { type, family, count: n, values, offsets: undefined, bytes: undefined, rowIds }, crc32: crc };
  }
  const offsets = buffer(0, 'Int32Array', n + 1, 'offsets') as Int32Array;
  const bytes = buffer(1, 'Uint8Array', undefined, 'UTF-8 bytes') as Uint8Array;
  if (offsets[0] !== 0 || offsets[n] !== bytes.length)
    throw fail(`the offsets run from ${offsets[0]} to ${offsets[n]}, not from 0 to the ${bytes.length} key bytes`);
  return { keys: { type, family, count: n, values: undefined, offsets, bytes, rowIds }, crc32: crc };
}
