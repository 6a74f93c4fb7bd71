import { util } from 'apache-arrow';
import type { DataType, Vector } from 'apache-arrow';
import type { LogicalType } from './defineLogicalType.js';
import { forEachStorageValue, storageVector } from './storageColumn.js';
import { atRow, describeDataType, describeValue, invalidValue, logicalFieldError } from './logicalTypeErrors.js';

/**
 * A column of logical type `type` built from JS values: a Vector of the storage type (put it under
 * an `extensionField` of the type in a Schema). `null` and `undefined` are null slots; every other
 * value is validated, and the first invalid one throws `INVALID_ARGUMENT` naming its row.
 */
export function vectorOf<V, S extends DataType, SV>(
  type: LogicalType<V, S, SV>,
  values: Iterable<V | null | undefined>,
): Vector<S> {
  if (values === null || typeof (values as Partial<Iterable<unknown>> | undefined)?.[Symbol.iterator] !== 'function') {
    throw invalidValue(
      type.name,
      `the values of a '${type.name}' column must be iterable (got ${describeValue(values)})`,
    );
  }
  const storage: unknown[] = [];
  for (const value of values) {
    try {
      storage.push(value === null || value === undefined ? null : type.toStorage(value));
    } catch (error) {
      throw atRow(error, storage.length);
    }
  }
  return storageVector(type.storageType, storage, type.name);
}

/**
 * The JS values of a column of logical type `type` (`null` for null slots). The vector must be of
 * the type's storage type (`CORRUPT_INPUT`, problem `storageMismatch`, otherwise); a storage value
 * that holds no valid value throws `CORRUPT_INPUT` naming its row.
 */
export function valuesOf<V, S extends DataType, SV>(type: LogicalType<V, S, SV>, vector: Vector): (V | null)[] {
  if (!util.compareTypes(vector.type as DataType, type.storageType)) {
    throw logicalFieldError(
      'storageMismatch',
      '(column)',
      type.name,
      `'${type.name}' columns are stored as ${describeDataType(type.storageType)}, not ${describeDataType(vector.type as DataType)}`,
      { expected: describeDataType(type.storageType), actual: describeDataType(vector.type as DataType) },
    );
  }
  const out = new Array<V | null>(vector.length);
  forEachStorageValue(vector, (row, storage) => {
    try {
      out[row] = storage === null || storage === undefined ? null : type.fromStorage(storage);
    } catch (error) {
      throw atRow(error, row);
    }
  });
  return out;
}
