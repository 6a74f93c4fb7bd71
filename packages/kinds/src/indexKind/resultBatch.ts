import { Field, Float32, Int32, makeData, RecordBatch, Schema, Struct } from 'apache-arrow';

/** Result schema of the flat vector index: `query` (Int32), `row` (Int32), `distance` (Float32). */
export const vectorResultSchema = new Schema([
  new Field('query', new Int32(), false),
  new Field('row', new Int32(), false),
  new Field('distance', new Float32(), false),
]);

/** Result schema of the ordered index: `query` (Int32), `row` (Int32). */
export const orderedResultSchema = new Schema([
  new Field('query', new Int32(), false),
  new Field('row', new Int32(), false),
]);

/**
 * A non-null record batch of `length` rows over the given typed arrays (one per field of `schema`,
 * in order; each at least `length` long). The arrays are used as they are, not copied.
 */
export function resultBatch(
  schema: Schema,
  columns: readonly (Int32Array | Float32Array)[],
  length: number,
): RecordBatch {
  const children = schema.fields.map((field, i) => {
    const data = columns[i]!.subarray(0, length);
    return data instanceof Float32Array
      ? makeData({ type: new Float32(), length, nullCount: 0, data })
      : makeData({ type: new Int32(), length, nullCount: 0, data });
  });
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length, nullCount: 0, children }));
}
