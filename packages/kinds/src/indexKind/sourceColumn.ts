import type { RecordBatch, Table, Vector } from 'apache-arrow';
import { invalidIndexArgument } from './indexErrors.js';

/**
 * Looks up `column` in an Arrow record batch or table. Anything that is not a batch or table, or
 * a missing column, is `INVALID_ARGUMENT` (naming the columns there are).
 */
export function requireColumn(
  source: RecordBatch | Table,
  column: string,
  kind: string,
  step: 'build' | 'probe',
): Vector {
  if (
    typeof source !== 'object' ||
    source === null ||
    typeof (source as { getChild?: unknown }).getChild !== 'function'
  ) {
    throw invalidIndexArgument(kind, step, 'expected an Arrow RecordBatch or Table');
  }
  if (typeof column !== 'string') throw invalidIndexArgument(kind, step, 'the column name must be a string');
  const vector = source.getChild(column);
  if (vector === null) {
    const names = source.schema.fields.map((f) => `'${f.name}'`).join(', ');
    throw invalidIndexArgument(kind, step, `no column '${column}' (columns: ${names || 'none'})`);
  }
  return vector;
}
