import { util } from 'apache-arrow';
import type { DataType, Vector } from 'apache-arrow';
import type { ReloadError } from '@baton/core';
import type { LogicalType } from './defineLogicalType.js';
import { requireLogicalType, requireVector } from './logicalArguments.js';
import { forEachStorageValue, storageVector } from './storageColumn.js';
import { atRow, describeDataType, describeValue, invalidValue, logicalFieldError } from './logicalTypeErrors.js';

/**
 * A column of logical type `type` built from JS values: a Vector of the storage type (put it under
 * an `extensionField` of the type in a Schema). `null` and `undefined` are null slots; every other
 * value is validated, and the first invalid one throws `INVALID_ARGUMENT` naming its row. A `type`
 * that is not a logical type, or `values` that cannot be iterated (an iterator that throws, a typed
 * array whose buffer is detached), are `INVALID_ARGUMENT` too.
 */
export function vectorOf<V, S extends DataType, SV>(
  type: LogicalType<V, S, SV>,
  values: Iterable<V | null | undefined>,
): Vector<S> {
  requireLogicalType(type, 'vectorOf()');
  if (values === null || typeof (values as Partial<Iterable<unknown>> | undefined)?.[Symbol.iterator] !== 'function') {
    throw invalidValue(
      type.name,
      `the values of a '${type.name}' column must be iterable (got ${describeValue(values)})`,
    );
  }
  const storage: unknown[] = [];
  const next = iterate(values, type.name);
  for (let item = next(); !item.done; item = next()) {
    const value = item.value;
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
 * that holds no valid value throws `CORRUPT_INPUT` naming its row. A `type` that is not a logical
 * type, or a `vector` that is not an Arrow Vector, is `INVALID_ARGUMENT`.
 */
export function valuesOf<V, S extends DataType, SV>(type: LogicalType<V, S, SV>, vector: Vector): (V | null)[] {
  requireLogicalType(type, 'valuesOf()');
  requireVector(vector, 'valuesOf()');
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

/**
 * A step function over `values`: each call is the iterator's next result; an iterator that cannot
 * be made or that throws (a typed array whose buffer is detached, a generator that fails) is
 * `INVALID_ARGUMENT` naming the type.
 */
function iterate<T>(values: Iterable<T>, typeName: string): () => IteratorResult<T> {
  const fail = (error: unknown): ReloadError =>
    invalidValue(
      typeName,
      `the values of a '${typeName}' column could not be iterated: ${error instanceof Error ? error.message : describeValue(error)}`,
      error,
    );
  let iterator: Iterator<T>;
  try {
    iterator = values[Symbol.iterator]();
  } catch (error) {
    throw fail(error);
  }
  return () => {
    try {
      return iterator.next();
    } catch (error) {
      throw fail(error);
    }
  };
}
