import { DataType, Precision } from 'apache-arrow';
import type { Data, Vector } from 'apache-arrow';

/**
 * How the ordered index stores and compares a key type:
 * - `number`: Int8..Int32, Uint8..Uint32, Float32, Float64, DateDay — JS numbers;
 * - `bigint`: Int64, Uint64, Timestamp (any unit), DateMillisecond — JS bigints;
 * - `utf8`: Utf8 — compared bytewise (UTF-8 byte order, which is Unicode code point order).
 */
export type KeyFamily = 'number' | 'bigint' | 'utf8';

/** The typed arrays that hold numeric keys. */
export type NumericKeyArray =
  | Int8Array
  | Int16Array
  | Int32Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

/** Sorted keys and their row ids: ascending by key, then by row id. */
export interface SortedKeys {
  /** The key column's Arrow type (persisted as is). */
  readonly type: DataType;
  readonly family: KeyFamily;
  readonly count: number;
  /** Numeric keys (`number`/`bigint` families), `count` long. */
  readonly values: NumericKeyArray | undefined;
  /** UTF-8 keys (`utf8` family): `count + 1` offsets into `bytes`. */
  readonly offsets: Int32Array | undefined;
  readonly bytes: Uint8Array | undefined;
  /** Source row id of each key, `count` long. */
  readonly rowIds: Uint32Array;
}

/** The family of a supported key type, or `undefined` for an unsupported one. */
export function keyFamily(type: DataType): KeyFamily | undefined {
  if (DataType.isUtf8(type)) return 'utf8';
  const numeric =
    DataType.isInt(type) ||
    (DataType.isFloat(type) && type.precision !== Precision.HALF) ||
    DataType.isTimestamp(type) ||
    DataType.isDate(type);
  if (!numeric) return undefined;
  const arrayType = type.ArrayType as unknown;
  return arrayType === BigInt64Array || arrayType === BigUint64Array ? 'bigint' : 'number';
}

/** Human-readable list of supported key types, for error messages. */
export const SUPPORTED_KEY_TYPES = 'Int8..Int64, Uint8..Uint64, Float32, Float64, Utf8, Timestamp, Date';

/** Bytes the sorted keys of `vector` will take (keys + offsets + row ids), computed without allocating. */
export function sortedKeyBytes(vector: Vector, family: KeyFamily): number {
  const count = vector.length - vector.nullCount;
  if (family === 'utf8') return utf8Bytes(vector) + (count + 1) * 4 + count * 4;
  return count * ((vector.type as DataType).ArrayType as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT + count * 4;
}

/** Total UTF-8 bytes of the non-null strings of a Utf8 vector. */
function utf8Bytes(vector: Vector): number {
  let text = 0;
  for (const data of vector.data as Data[]) {
    const offsets = data.valueOffsets as Int32Array;
    if (data.length === 0) continue;
    if (data.nullCount === 0) text += offsets[data.length]! - offsets[0]!;
    else for (let i = 0; i < data.length; i++) if (data.getValid(i)) text += offsets[i + 1]! - offsets[i]!;
  }
  return text;
}

/**
 * Sorts the keys of `vector` once: null keys (and NaN float keys) are not indexed; the rest are
 * ordered by key, then row id, into typed arrays.
 */
export function sortKeys(vector: Vector, family: KeyFamily): SortedKeys {
  const type = vector.type as DataType;
  return family === 'utf8' ? sortUtf8(vector, type) : sortNumeric(vector, type, family);
}

function sortNumeric(vector: Vector, type: DataType, family: KeyFamily): SortedKeys {
  const ArrayType = type.ArrayType as new (length: number) => NumericKeyArray;
  const upper = vector.length - vector.nullCount;
  const keys = new ArrayType(upper);
  const rows = new Uint32Array(upper);
  let count = 0;
  let row = 0;
  for (const data of vector.data as Data[]) {
    const values = data.values as NumericKeyArray;
    const checkNulls = data.nullCount !== 0;
    for (let i = 0; i < data.length; i++, row++) {
      if (checkNulls && !data.getValid(i)) continue;
      const key = values[i]!;
      if (key !== key) continue; // NaN is not indexed
      keys[count] = key;
      rows[count++] = row;
    }
  }
  const order = identity(count);
  if (family === 'bigint') {
    const k = keys as BigInt64Array | BigUint64Array;
    order.sort((a, b) => (k[a]! < k[b]! ? -1 : k[a]! > k[b]! ? 1 : a - b));
  } else {
    const k = keys as Float64Array;
    order.sort((a, b) => (k[a]! < k[b]! ? -1 : k[a]! > k[b]! ? 1 : a - b));
  }
  const values = new ArrayType(count);
  const rowIds = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    values[i] = keys[order[i]!]!;
    rowIds[i] = rows[order[i]!]!;
  }
  return { type, family, count, values, offsets: undefined, bytes: undefined, rowIds };
}

function sortUtf8(vector: Vector, type: DataType): SortedKeys {
  const upper = vector.length - vector.nullCount;
  const starts = new Int32Array(upper + 1);
  const rows = new Uint32Array(upper);
  const text = new Uint8Array(utf8Bytes(vector));
  let count = 0;
  let row = 0;
  for (const data of vector.data as Data[]) {
    const offsets = data.valueOffsets as Int32Array;
    const values = data.values as Uint8Array;
    for (let i = 0; i < data.length; i++, row++) {
      if (data.nullCount !== 0 && !data.getValid(i)) continue;
      text.set(values.subarray(offsets[i], offsets[i + 1]), starts[count]);
      starts[count + 1] = starts[count]! + offsets[i + 1]! - offsets[i]!;
      rows[count++] = row;
    }
  }
  const order = identity(count);
  order.sort((a, b) => compareBytes(text, starts[a]!, starts[a + 1]!, text, starts[b]!, starts[b + 1]!) || a - b);
  const offsets = new Int32Array(count + 1);
  const bytes = new Uint8Array(text.length);
  const rowIds = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    const at = order[i]!;
    bytes.set(text.subarray(starts[at], starts[at + 1]), offsets[i]);
    offsets[i + 1] = offsets[i]! + starts[at + 1]! - starts[at]!;
    rowIds[i] = rows[at]!;
  }
  return { type, family: 'utf8', count, values: undefined, offsets, bytes, rowIds };
}

/** Bytewise comparison of `a[as..ae)` and `b[bs..be)`: negative, zero or positive. */
export function compareBytes(a: Uint8Array, as: number, ae: number, b: Uint8Array, bs: number, be: number): number {
  const n = Math.min(ae - as, be - bs);
  for (let i = 0; i < n; i++) {
    const diff = a[as + i]! - b[bs + i]!;
    if (diff !== 0) return diff;
  }
  return ae - as - (be - bs);
}

function identity(count: number): Uint32Array {
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  return order;
}
