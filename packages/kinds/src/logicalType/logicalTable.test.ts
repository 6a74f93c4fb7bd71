import { Field, Int32, Schema, Utf8, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { extensionField } from './extensionField.js';
import { logicalTable } from './logicalTable.js';
import { valuesOf, vectorOf } from './logicalVector.js';
import { uuidType } from './uuidType.js';

const ID = '0b0e8c3a-6f1d-4c2e-9a57-3f2b8d1e4c60';
const schema = new Schema([extensionField(uuidType(), 'id', false), new Field('n', new Int32(), true)]);
const invalid = (message: string): Error =>
  expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining(message) }) as Error;

describe('logicalTable', () => {
  it('keeps the schema as given, also for empty and multi-chunk columns', () => {
    const empty = logicalTable(schema, { id: vectorOf(uuidType(), []), n: vectorFromArray([], new Int32()) });
    expect(empty.numRows).toBe(0);
    expect(empty.schema).toBe(schema);
    const ids = vectorOf(uuidType(), [ID]).concat(vectorOf(uuidType(), [ID.replace('0b', 'ff')]));
    const table = logicalTable(schema, { id: ids, n: vectorFromArray([1, null], new Int32()) });
    expect(table.schema.fields[0]!.metadata.get('ARROW:extension:name')).toBe('arrow.uuid');
    expect(valuesOf(uuidType(), table.getChild('id')!)).toEqual([ID, ID.replace('0b', 'ff')]);
  });

  it('names a missing, extra, mistyped, short or null-holding column', () => {
    const id = vectorOf(uuidType(), [ID]);
    const n = vectorFromArray([1], new Int32());
    expect(() => logicalTable(schema, { id })).toThrow(invalid("column 'n' is missing"));
    expect(() => logicalTable(schema, { id, n, x: n })).toThrow(invalid("columns 'x' are not in the schema"));
    expect(() => logicalTable(schema, { id, n: vectorFromArray(['1'], new Utf8()) })).toThrow(
      invalid("column 'n' is Utf8, but the field is Int32"),
    );
    expect(() => logicalTable(schema, { id, n: vectorFromArray([1, 2], new Int32()) })).toThrow(
      invalid("column 'n' has 2 rows, but the columns before it have 1"),
    );
    expect(() => logicalTable(schema, { id: vectorOf(uuidType(), [null]), n })).toThrow(
      invalid("column 'id' has 1 nulls, but the field is not nullable"),
    );
    expect(() => logicalTable(new Schema([new Field('a', new Int32()), new Field('a', new Int32())]), {})).toThrow(
      invalid('two fields of the same name'),
    );
    expect(() => logicalTable(null as never, {})).toThrow(invalid('needs an Arrow Schema'));
  });
});
