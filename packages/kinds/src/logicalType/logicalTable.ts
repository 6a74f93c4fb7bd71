import { Table, util } from 'apache-arrow';
import type { DataType, Schema, Vector } from 'apache-arrow';
import { describeDataType, describeValue, invalidValue } from './logicalTypeErrors.js';

/**
 * A Table of `schema` (its field metadata, extension keys included, kept as given) from one column
 * per field, e.g. `vectorOf` results under `extensionField`s. Every field must have a column of
 * exactly its Arrow type, all of the same length, and a non-nullable field no nulls; otherwise
 * `INVALID_ARGUMENT` names the column. (arrow-js's `new Table(schema, columns)` checks none of this,
 * and replaces the schema by one without metadata when the columns are empty.)
 */
export function logicalTable(schema: Schema, columns: Readonly<Record<string, Vector>>): Table {
  const fields = (schema as Partial<Schema> | null)?.fields;
  if (!Array.isArray(fields))
    throw invalidValue('', `logicalTable() needs an Arrow Schema (got ${describeValue(schema)})`);
  if (typeof columns !== 'object' || columns === null)
    throw invalidValue('', `logicalTable() needs an object of columns (got ${describeValue(columns)})`);
  const names = new Set(fields.map((field) => field.name));
  if (names.size !== fields.length)
    throw invalidValue('', 'logicalTable(): the schema has two fields of the same name');
  const extra = Object.keys(columns).filter((name) => !names.has(name));
  if (extra.length > 0)
    throw invalidValue(
      '',
      `logicalTable(): columns ${extra.map((name) => `'${name}'`).join(', ')} are not in the schema`,
    );

  let length: number | undefined;
  for (const field of fields) {
    const column = Object.hasOwn(columns, field.name) ? columns[field.name] : undefined;
    const fail = (problem: string) => invalidValue('', `logicalTable(): column '${field.name}' ${problem}`);
    if (column === undefined) throw fail('is missing');
    if (!util.compareTypes(column.type as DataType, field.type as DataType)) {
      throw fail(
        `is ${describeDataType(column.type as DataType)}, but the field is ${describeDataType(field.type as DataType)}`,
      );
    }
    if (length !== undefined && column.length !== length)
      throw fail(`has ${column.length} rows, but the columns before it have ${length}`);
    if (!field.nullable && column.nullCount > 0)
      throw fail(`has ${column.nullCount} nulls, but the field is not nullable`);
    length = column.length;
  }
  return length === 0 || length === undefined ? new Table(schema) : new Table(schema, columns);
}
