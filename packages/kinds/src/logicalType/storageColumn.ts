import { DataType, Precision, Vector, makeBuilder, makeData, makeVector } from 'apache-arrow';
import type { Builder, Data, FixedSizeList, Float } from 'apache-arrow';
import { describeDataType, describeValue, invalidValue } from './logicalTypeErrors.js';

/** Largest byte length of a `Utf8` column chunk (its offsets are Int32), checked before allocating. */
const MAX_UTF8_COLUMN_BYTES = 0x7fff_ffff;

/**
 * A Vector of `storageType` holding `values` (`null` is a null slot). `FixedSizeBinary`, `Utf8` and
 * `FixedSizeList` of floats (the storage of the built-in logical types) are laid out directly into
 * Arrow buffers with `makeData` (several times faster than arrow-js's builders; no child nulls under
 * null slots); other types, or values that do not fit that layout, go through `makeBuilder`.
 */
export function storageVector<S extends DataType>(
  storageType: S,
  values: readonly unknown[],
  typeName = '',
): Vector<S> {
  const data = fastData(storageType, values, typeName);
  if (data !== undefined) return makeVector(data as Data<S>);
  const builder: Builder<S, null> = makeBuilder({ type: storageType, nullValues: [null] });
  let row = 0;
  try {
    for (; row < values.length; row++) builder.append(values[row]);
    return builder.finish().toVector();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw invalidValue(
      typeName,
      `row ${row}: the Arrow builder of ${describeDataType(storageType)} rejects storage value ${describeValue(values[row])}: ${reason}`,
      error,
    );
  }
}

/**
 * Calls `visit` with every row's storage value (`null` for a null slot) in order: the bytes of a
 * `FixedSizeBinary` slot, the string of a `Utf8` slot, the coordinates (a typed-array view) of a
 * `FixedSizeList` of floats, and otherwise what the Vector yields for the slot.
 */
export function forEachStorageValue(vector: Vector, visit: (row: number, storage: unknown) => void): void {
  let row = 0;
  for (const data of vector.data as Data[]) {
    const read = fastReader(data) ?? genericReader(data);
    const checkValidity = data.nullCount > 0;
    for (let i = 0; i < data.length; i++) visit(row++, checkValidity && !data.getValid(i) ? null : read(i));
  }
}

function fastData(type: DataType, values: readonly unknown[], typeName: string): Data | undefined {
  const length = values.length;
  const { nullBitmap, nullCount } = validity(values);
  const base = { length, nullCount, ...(nullCount > 0 ? { nullBitmap } : {}) };
  if (DataType.isFixedSizeBinary(type)) {
    const width = type.byteWidth;
    const bytes = new Uint8Array(width * length);
    for (let i = 0; i < length; i++) {
      const value = values[i];
      if (value === null) continue;
      if (!(value instanceof Uint8Array) || value.byteLength !== width) return undefined;
      bytes.set(value, i * width);
    }
    return makeData({ type, ...base, data: bytes });
  }
  if (DataType.isUtf8(type)) {
    const offsets = new Int32Array(length + 1);
    let total = 0;
    for (let i = 0; i < length; i++) {
      const value = values[i];
      if (value !== null) {
        if (typeof value !== 'string') return undefined;
        total += Buffer.byteLength(value, 'utf8');
        if (total > MAX_UTF8_COLUMN_BYTES)
          throw invalidValue(
            typeName,
            `rows 0..${i} already hold ${total} bytes of text, more than a Utf8 column holds (${MAX_UTF8_COLUMN_BYTES}); split the column into batches`,
          );
      }
      offsets[i + 1] = total;
    }
    const bytes = Buffer.allocUnsafeSlow(total);
    for (let i = 0; i < length; i++) {
      const value = values[i];
      if (typeof value === 'string') bytes.write(value, offsets[i]!, 'utf8');
    }
    return makeData({
      type,
      ...base,
      valueOffsets: offsets,
      data: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    });
  }
  const list = floatList(type);
  if (list !== undefined) {
    const { size, child } = list;
    const coordinates =
      child.precision === Precision.DOUBLE ? new Float64Array(size * length) : new Float32Array(size * length);
    for (let i = 0; i < length; i++) {
      const value = values[i] as ArrayLike<unknown> | null;
      if (value === null) continue;
      if (typeof value !== 'object' || value.length !== size) return undefined;
      for (let j = 0; j < size; j++) {
        const x = value[j];
        if (typeof x !== 'number') return undefined;
        coordinates[i * size + j] = x;
      }
    }
    const childData = makeData({ type: child, length: size * length, nullCount: 0, data: coordinates });
    return makeData({ type: type as FixedSizeList<Float>, ...base, child: childData });
  }
  return undefined;
}

function fastReader(data: Data): ((index: number) => unknown) | undefined {
  const type = data.type;
  if (DataType.isFixedSizeBinary(type)) {
    const width = type.byteWidth;
    const values = data.values as Uint8Array;
    return (i) => values.subarray(i * width, (i + 1) * width);
  }
  if (DataType.isUtf8(type)) {
    const offsets = data.valueOffsets as Int32Array;
    const values = data.values as Uint8Array;
    const text = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
    return (i) => text.toString('utf8', offsets[i], offsets[i + 1]);
  }
  const list = floatList(type);
  const child = data.children[0];
  if (list !== undefined && child !== undefined && child.nullCount === 0) {
    const { size } = list;
    const values = child.values as Float64Array | Float32Array;
    return (i) => values.subarray(i * size, (i + 1) * size);
  }
  return undefined;
}

function genericReader(data: Data): (index: number) => unknown {
  const vector = new Vector([data]);
  return (i): unknown => vector.get(i);
}

/** The list size and child type of a `FixedSizeList` of Float32 or Float64. */
function floatList(type: DataType): { size: number; child: Float } | undefined {
  if (!DataType.isFixedSizeList(type)) return undefined;
  const child = type.children[0]?.type as DataType | undefined;
  if (!DataType.isFloat(child) || (child.precision !== Precision.SINGLE && child.precision !== Precision.DOUBLE))
    return undefined;
  return { size: type.listSize, child };
}

function validity(values: readonly unknown[]): { nullBitmap: Uint8Array; nullCount: number } {
  const nullBitmap = new Uint8Array((values.length + 7) >> 3);
  let nullCount = 0;
  for (let i = 0; i < values.length; i++) {
    if (values[i] === null) nullCount++;
    else nullBitmap[i >> 3]! |= 1 << (i & 7);
  }
  return { nullBitmap, nullCount };
}
