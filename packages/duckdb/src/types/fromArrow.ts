import { arrayValue, listValue } from '@duckdb/node-api';
import type { DuckDBValue, DuckDBVector } from '@duckdb/node-api';
import { isArrowVector } from 'apache-arrow';
import type { Data, Vector } from 'apache-arrow';
import type { ColumnType } from './columnTypes.js';

/** Whether row `index` of an Arrow data chunk is valid (its bitmap is not sliced: the offset counts). */
function isValid(chunk: Data, index: number): boolean {
  // arrow-js leaves the bitmap empty (or absent) when no row is null.
  const bitmap = chunk.nullBitmap as Uint8Array | undefined;
  if (chunk.nullCount === 0 || bitmap === undefined || bitmap.byteLength === 0) return true;
  const bit = chunk.offset + index;
  return ((bitmap[bit >> 3]! >> (bit & 7)) & 1) === 1;
}

/** The elements of one list row as DuckDB values (numbers, null for a null element). */
function elementsOf(list: Vector): (number | null)[] {
  const items = new Array<number | null>(list.length);
  let at = 0;
  for (const chunk of list.data as Data[]) {
    const values = chunk.values as Float32Array | Float64Array;
    for (let i = 0; i < chunk.length; i++, at++) items[at] = isValid(chunk, i) ? values[i]! : null;
  }
  return items;
}

/**
 * Writes the rows of an Arrow vector (already checked to be of `type` and of the output's length)
 * into a DuckDB output vector, then flushes it.
 */
export function writeArrow(source: Vector, type: ColumnType, output: DuckDBVector): void {
  let row = 0;
  for (const chunk of source.data as Data[]) {
    switch (type.id) {
      case 'double':
      case 'float':
      case 'integer':
      case 'bigint': {
        const values = chunk.values as Float64Array | Float32Array | Int32Array | BigInt64Array;
        for (let i = 0; i < chunk.length; i++, row++) output.setItem(row, isValid(chunk, i) ? values[i]! : null);
        break;
      }
      case 'boolean':
      case 'varchar':
      case 'list':
      case 'array':
        for (let i = 0; i < chunk.length; i++, row++) output.setItem(row, convert(type, source.get(row)));
        break;
    }
  }
  output.flush();
}

function convert(type: ColumnType, value: unknown): DuckDBValue {
  if (value === null || value === undefined) return null;
  switch (type.id) {
    case 'list':
    case 'array': {
      if (!isArrowVector(value)) throw new TypeError('a list row is not an Arrow vector');
      const items = elementsOf(value);
      return type.id === 'list' ? listValue(items) : arrayValue(items);
    }
    case 'varchar':
    case 'boolean':
    case 'double':
    case 'float':
    case 'bigint':
    case 'integer':
      return value as DuckDBValue;
  }
}
