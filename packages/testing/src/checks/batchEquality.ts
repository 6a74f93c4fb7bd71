import { isDeepStrictEqual } from 'node:util';
import type { RecordBatch, Table } from 'apache-arrow';
import { show } from './describe.js';

/**
 * Compares two record batches (or tables) by schema (field names and types) and by every column's
 * values. Returns a description of the first difference, or undefined when they are equal.
 */
export function batchDifference(expected: RecordBatch | Table, actual: RecordBatch | Table): string | undefined {
  const names = (b: RecordBatch | Table): string[] => b.schema.fields.map((f) => `${f.name}: ${String(f.type)}`);
  if (!isDeepStrictEqual(names(expected), names(actual)))
    return `schemas differ: ${show(names(expected))} vs ${show(names(actual))}`;
  if (expected.numRows !== actual.numRows) return `row counts differ: ${expected.numRows} vs ${actual.numRows}`;
  for (const field of expected.schema.fields) {
    const a = columnValues(expected, field.name);
    const b = columnValues(actual, field.name);
    const row = a.findIndex((value, i) => !isDeepStrictEqual(value, b[i]));
    if (row >= 0) return `column '${field.name}' differs at row ${row}: ${show(a[row])} vs ${show(b[row])}`;
  }
  return undefined;
}

function columnValues(batch: RecordBatch | Table, name: string): unknown[] {
  const column = batch.getChild(name);
  if (!column) return [];
  return Array.from({ length: column.length }, (_, i) => normalise(column.get(i)));
}

function normalise(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>);
  if (typeof (value as { toArray?: unknown }).toArray === 'function')
    return Array.from((value as { toArray(): ArrayLike<unknown> }).toArray(), normalise);
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return (value as { toJSON(): unknown }).toJSON();
  return value;
}
