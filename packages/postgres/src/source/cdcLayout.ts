import { Field, RecordBatch, Schema, Struct, Utf8, makeData, vectorFromArray } from 'apache-arrow';
import { ReloadError } from '@baton/core';
import { extensionField, extensionNameOf, jsonType, logicalTable, valuesOf, vectorOf } from '@baton/kinds';
import type { JsonValue } from '@baton/kinds';
import type { ChangeOp, ChangeRow, ChangeValues } from './changeRow.js';

const OPS: readonly ChangeOp[] = ['insert', 'update', 'delete', 'truncate'];

/**
 * The Arrow layout of the change source's batches: one row per change, in transaction order.
 *
 * | field   | Arrow type              | nulls | holds                                                        |
 * | ------- | ----------------------- | ----- | ------------------------------------------------------------ |
 * | `op`    | Utf8                    | no    | `insert`, `update`, `delete` or `truncate`                   |
 * | `table` | Utf8                    | no    | `schema.table`                                               |
 * | `key`   | Utf8, `arrow.json`      | yes   | JSON object: replica identity column → text value            |
 * | `new`   | Utf8, `arrow.json`      | yes   | JSON object: the row after an insert or update               |
 * | `old`   | Utf8, `arrow.json`      | yes   | JSON object: the row before (only `REPLICA IDENTITY FULL`)   |
 *
 * The JSON objects map column names to PostgreSQL's text form of each value (JSON `null` for SQL
 * NULL; see `ChangeValues`), stored as canonical JSON (sorted keys) in Arrow's `arrow.json` extension
 * type, so every type — int8 and numeric beyond 2^53, timestamptz to the microsecond, bytea, jsonb —
 * arrives without loss, and a consumer casts the text as the column's type.
 */
export const changeSchema: Schema<{ op: Utf8; table: Utf8; key: Utf8; new: Utf8; old: Utf8 }> = new Schema([
  new Field('op', new Utf8(), false),
  new Field('table', new Utf8(), false),
  extensionField(jsonType(), 'key', true),
  extensionField(jsonType(), 'new', true),
  extensionField(jsonType(), 'old', true),
]);

/** The rows of one transaction as a RecordBatch of {@link changeSchema}. */
export function changeBatch(rows: readonly ChangeRow[]): RecordBatch {
  const json = jsonType();
  const table = logicalTable(changeSchema, {
    op: vectorFromArray(
      rows.map((r) => r.op),
      new Utf8(),
    ),
    table: vectorFromArray(
      rows.map((r) => r.table),
      new Utf8(),
    ),
    key: vectorOf(
      json,
      rows.map((r) => r.key),
    ),
    new: vectorOf(
      json,
      rows.map((r) => r.new),
    ),
    old: vectorOf(
      json,
      rows.map((r) => r.old),
    ),
  });
  // A transaction with no row (possible in principle) still gets a batch of the layout, with no rows.
  return (
    table.batches[0] ??
    new RecordBatch(
      changeSchema,
      makeData({
        type: new Struct(changeSchema.fields),
        length: 0,
        children: changeSchema.fields.map((f: Field<Utf8>) => makeData({ type: f.type, length: 0 })),
      }),
    )
  );
}

/**
 * Reads a batch of {@link changeSchema} back into rows (what a consumer of the change source or a
 * test does). A batch of another layout, or a value that is not what the layout allows, is
 * `CORRUPT_INPUT` naming the field and row.
 */
export function readChanges(batch: RecordBatch): ChangeRow[] {
  const column = (name: string) => {
    const field = batch.schema.fields.find((f) => f.name === name);
    const vector = batch.getChild(name);
    if (!field || !vector) throw corrupt(`the batch has no '${name}' field`);
    return { field, vector };
  };
  const op = column('op');
  const table = column('table');
  const json = ['key', 'new', 'old'].map((name) => {
    const { field, vector } = column(name);
    if (extensionNameOf(field) !== 'arrow.json') throw corrupt(`field '${name}' is not an arrow.json field`);
    return valuesOf(jsonType(), vector);
  });
  const rows: ChangeRow[] = [];
  for (let i = 0; i < batch.numRows; i++) {
    const opValue = op.vector.get(i) as unknown;
    const tableValue = table.vector.get(i) as unknown;
    if (typeof opValue !== 'string' || !OPS.includes(opValue as ChangeOp))
      throw corrupt(`row ${i}: op ${JSON.stringify(opValue)} is not one of ${OPS.join(', ')}`);
    if (typeof tableValue !== 'string') throw corrupt(`row ${i}: table is not text`);
    const [key, next, old] = json.map((values, f) => changeValues(values[i] ?? null, i, ['key', 'new', 'old'][f]!));
    rows.push({ op: opValue as ChangeOp, table: tableValue, key: key!, new: next!, old: old! });
  }
  return rows;
}

function changeValues(value: JsonValue, row: number, field: string): ChangeValues | null {
  if (value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) throw corrupt(`row ${row}: '${field}' is not a JSON object`);
  for (const [column, v] of Object.entries(value)) {
    if (v !== null && typeof v !== 'string') throw corrupt(`row ${row}: '${field}'.${column} is neither text nor null`);
  }
  return value as ChangeValues;
}

function corrupt(message: string): ReloadError {
  return new ReloadError({ code: 'CORRUPT_INPUT', phase: 'decode', message: `change batch: ${message}` });
}
