import { DuckDBArrayVector, DuckDBListVector } from '@duckdb/node-api';
import type { DuckDBVector } from '@duckdb/node-api';
import { makeData, makeVector } from 'apache-arrow';
import type { Data, DataType, Vector } from 'apache-arrow';
import { ValidityBuilder } from './bitmap.js';
import { arrowTypeOf } from './columnTypes.js';
import type { ColumnType } from './columnTypes.js';

type FloatArray = Float32Array | Float64Array;

/** A typed array of `length` elements for a float element type. */
function floats(element: 'float' | 'double', length: number): FloatArray {
  return element === 'float' ? new Float32Array(length) : new Float64Array(length);
}

/** Reads `count` numbers of `vector` from `start` into `out` at `at`, nulls into `validity`. */
function readFloats(
  vector: DuckDBVector,
  start: number,
  count: number,
  out: FloatArray,
  at: number,
  validity: ValidityBuilder,
): void {
  for (let i = 0; i < count; i++) {
    const value = vector.getItem(start + i);
    if (value === null) validity.setNull(at + i);
    else out[at + i] = value as number;
  }
}

/**
 * An Arrow vector holding the first `rows` items of a DuckDB vector, of the Arrow type of `type`
 * (see {@link ColumnType}). Values are copied: the result stays valid after DuckDB reuses its chunk.
 */
export function toArrow(vector: DuckDBVector, type: ColumnType, rows: number): Vector {
  const arrowType = arrowTypeOf(type);
  switch (type.id) {
    case 'varchar':
      return utf8ToArrow(vector, arrowType, rows);
    case 'double':
    case 'float':
    case 'integer': {
      const values =
        type.id === 'integer'
          ? new Int32Array(rows)
          : type.id === 'float'
            ? new Float32Array(rows)
            : new Float64Array(rows);
      const validity = new ValidityBuilder(rows);
      for (let row = 0; row < rows; row++) {
        const value = vector.getItem(row);
        if (value === null) validity.setNull(row);
        else values[row] = value as number;
      }
      return makeVector(makeData({ type: arrowType, length: rows, data: values, ...validity.data() } as never));
    }
    case 'bigint': {
      const values = new BigInt64Array(rows);
      const validity = new ValidityBuilder(rows);
      for (let row = 0; row < rows; row++) {
        const value = vector.getItem(row);
        if (value === null) validity.setNull(row);
        else values[row] = value as bigint;
      }
      return makeVector(makeData({ type: arrowType, length: rows, data: values, ...validity.data() } as never));
    }
    case 'boolean': {
      const bits = new Uint8Array(Math.ceil(rows / 8));
      const validity = new ValidityBuilder(rows);
      for (let row = 0; row < rows; row++) {
        const value = vector.getItem(row);
        if (value === null) validity.setNull(row);
        else if (value === true) bits[row >> 3]! |= 1 << (row & 7);
      }
      return makeVector(makeData({ type: arrowType, length: rows, data: bits, ...validity.data() } as never));
    }
    case 'list':
      if (!(vector instanceof DuckDBListVector)) throw new TypeError('expected a DuckDB LIST vector');
      return listToArrow(vector, type.element, arrowType, rows);
    case 'array':
      if (!(vector instanceof DuckDBArrayVector)) throw new TypeError('expected a DuckDB ARRAY vector');
      return arrayToArrow(vector, type.element, type.size, arrowType, rows);
  }
}

const encoder = new TextEncoder();

/**
 * A Utf8 vector of the strings of `vector`, encoded straight into one value buffer (arrow-js's
 * builder, `vectorFromArray`, is several times slower for the short strings of a chunk).
 */
function utf8ToArrow(vector: DuckDBVector, arrowType: DataType, rows: number): Vector {
  const offsets = new Int32Array(rows + 1);
  const validity = new ValidityBuilder(rows);
  let bytes = new Uint8Array(rows * 16 + 64);
  let at = 0;
  for (let row = 0; row < rows; row++) {
    const value = vector.getItem(row) as string | null;
    if (value === null) validity.setNull(row);
    else {
      // A UTF-16 code unit takes at most 3 UTF-8 bytes.
      if (bytes.length - at < value.length * 3) {
        const grown = new Uint8Array(Math.max(bytes.length * 2, at + value.length * 3));
        grown.set(bytes.subarray(0, at));
        bytes = grown;
      }
      at += encoder.encodeInto(value, bytes.subarray(at)).written;
    }
    offsets[row + 1] = at;
  }
  return makeVector(
    makeData({
      type: arrowType,
      length: rows,
      valueOffsets: offsets,
      data: bytes.subarray(0, at),
      ...validity.data(),
    } as never),
  );
}

function listToArrow(vector: DuckDBListVector, element: 'float' | 'double', arrowType: DataType, rows: number): Vector {
  const offsets = new Int32Array(rows + 1);
  const validity = new ValidityBuilder(rows);
  let total = 0;
  for (let row = 0; row < rows; row++) {
    if (vector.getItemVector(row) === null) validity.setNull(row);
    else total += vector.getEntryLength(row);
    offsets[row + 1] = total;
  }
  const values = floats(element, total);
  const childValidity = new ValidityBuilder(total);
  const child = vector.childVector;
  for (let row = 0; row < rows; row++) {
    const at = offsets[row]!;
    const count = offsets[row + 1]! - at;
    if (count > 0) readFloats(child, vector.getEntryOffset(row), count, values, at, childValidity);
  }
  const childType = arrowType.children[0]!.type as DataType;
  const childData = makeData({ type: childType, length: total, data: values, ...childValidity.data() } as never);
  return makeVector(
    makeData({
      type: arrowType,
      length: rows,
      valueOffsets: offsets,
      child: childData as Data,
      ...validity.data(),
    } as never),
  );
}

function arrayToArrow(
  vector: DuckDBArrayVector,
  element: 'float' | 'double',
  size: number,
  arrowType: DataType,
  rows: number,
): Vector {
  const values = floats(element, rows * size);
  const validity = new ValidityBuilder(rows);
  const childValidity = new ValidityBuilder(rows * size);
  for (let row = 0; row < rows; row++) {
    const item = vector.getItem(row);
    if (item === null) {
      validity.setNull(row);
      continue;
    }
    for (let i = 0; i < size; i++) {
      const value = item.items[i];
      if (value === null || value === undefined) childValidity.setNull(row * size + i);
      else values[row * size + i] = value as number;
    }
  }
  const childType = arrowType.children[0]!.type as DataType;
  const childData = makeData({ type: childType, length: rows * size, data: values, ...childValidity.data() } as never);
  return makeVector(makeData({ type: arrowType, length: rows, child: childData as Data, ...validity.data() } as never));
}
