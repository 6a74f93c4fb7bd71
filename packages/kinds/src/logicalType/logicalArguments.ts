/**
 * Argument checks shared by the logical-type exports: an Arrow field, vector or schema (from any
 * copy of apache-arrow), a logical type, options. A wrong argument is an `INVALID_ARGUMENT`
 * `ReloadError` naming the function and what it got, never a `TypeError` from deeper down.
 */
import { isArrowDataType, isArrowField, isArrowVector } from 'apache-arrow';
import type { Field, Vector } from 'apache-arrow';
import type { AnyLogicalType } from './defineLogicalType.js';
import { describeValue, invalidValue } from './logicalTypeErrors.js';

/** `field`, when it is an Arrow Field; else `INVALID_ARGUMENT` naming `fn`. */
export function requireField(field: unknown, fn: string): Field {
  if (!isArrowField(field)) throw invalidValue('', `${fn} needs an Arrow Field (got ${describeValue(field)})`);
  return field;
}

/** `vector`, when it is an Arrow Vector; else `INVALID_ARGUMENT` naming `fn`. */
export function requireVector(vector: unknown, fn: string): Vector {
  if (!isArrowVector(vector)) throw invalidValue('', `${fn} needs an Arrow Vector (got ${describeValue(vector)})`);
  return vector;
}

/**
 * `type`, when it has the shape of a logical type (`defineLogicalType` makes them): a name, an
 * Arrow storage type, a metadata string and, when `conversions`, the conversion methods.
 */
export function requireLogicalType(type: unknown, fn: string, conversions = true): AnyLogicalType {
  const fields = typeof type === 'object' && type !== null ? (type as Partial<Record<string, unknown>>) : undefined;
  if (
    fields === undefined ||
    typeof fields['name'] !== 'string' ||
    !isArrowDataType(fields['storageType']) ||
    typeof fields['metadata'] !== 'string' ||
    (conversions && (typeof fields['toStorage'] !== 'function' || typeof fields['fromStorage'] !== 'function'))
  ) {
    throw invalidValue(
      typeof fields?.['name'] === 'string' ? fields['name'] : '',
      `${fn} needs a logical type${conversions ? ' made by defineLogicalType' : ' (name, storageType, metadata)'} (got ${describeValue(type)})`,
    );
  }
  return type as AnyLogicalType;
}

/** `options`, when it is undefined or an object; else `INVALID_ARGUMENT` naming `fn`. */
export function optionsObject<T extends object>(options: T | undefined, fn: string): Partial<T> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null)
    throw invalidValue('', `${fn}: options must be an object (got ${describeValue(options)})`);
  return options;
}
