import type { RecordBatch } from 'apache-arrow';
import { extensionNameOf } from '@baton/kinds';

/**
 * The rows of a batch as the text of one JSON array of objects (field name → value), for the sink's
 * `jsonb` rows. Values: an `arrow.json` field's text is the JSON document itself (checked to be one
 * JSON value, then embedded as it is); otherwise bigints become decimal strings, non-finite numbers
 * the strings `NaN`/`Infinity`/`-Infinity`, bytes `\x`-hex text, dates ISO text, lists arrays and
 * structs objects. Throws `Error` naming field and row for a value that is not one JSON document.
 */
export function rowsJson(batch: RecordBatch): string {
  const fields = batch.schema.fields.map((field, index) => ({
    key: JSON.stringify(field.name),
    json: extensionNameOf(field) === 'arrow.json',
    vector: batch.getChildAt(index),
  }));
  const rows: string[] = [];
  for (let row = 0; row < batch.numRows; row++) {
    const parts: string[] = [];
    for (const { key, json, vector } of fields) {
      const value: unknown = vector?.get(row);
      parts.push(`${key}:${json ? jsonDocument(value, key, row) : JSON.stringify(plain(value))}`);
    }
    rows.push(`{${parts.join(',')}}`);
  }
  return `[${rows.join(',')}]`;
}

function jsonDocument(value: unknown, field: string, row: number): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value !== 'string') throw new Error(`field ${field}, row ${row}: an arrow.json value is not text`);
  try {
    JSON.parse(value); // one whole JSON value, so embedding it cannot add or break rows
  } catch (error) {
    throw new Error(`field ${field}, row ${row}: not a JSON document`, { cause: error });
  }
  return value;
}

/** An Arrow value as a plain JSON value. */
function plain(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value !== 'object') return value;
  if (value instanceof Uint8Array)
    return `\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(plain);
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<unknown>, plain);
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return plain(toJSON.call(value));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
}
