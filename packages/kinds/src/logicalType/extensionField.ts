import type { LogicalTypeProvider } from '@baton/core';
import { Field } from 'apache-arrow';
import type { DataType } from 'apache-arrow';
import { requireField, requireLogicalType } from './logicalArguments.js';
import { describeValue, invalidValue } from './logicalTypeErrors.js';
import { EXTENSION_METADATA_KEY, EXTENSION_NAME_KEY } from './typeMetadata.js';

/**
 * An Arrow field of logical type `type`: its Arrow type is the storage type, and its metadata
 * holds `ARROW:extension:name` (the type's name) and `ARROW:extension:metadata` (the type's
 * metadata string), which survive IPC (stream and file). `metadata` adds other field metadata (a
 * Map of strings); it may not set the two extension keys. Wrong arguments are `INVALID_ARGUMENT`.
 */
export function extensionField<S extends DataType>(
  type: LogicalTypeProvider<S>,
  name: string,
  nullable = true,
  metadata?: ReadonlyMap<string, string>,
): Field<S> {
  requireLogicalType(type, 'extensionField()', false);
  if (typeof name !== 'string' || name === '')
    throw invalidValue(type.name, `the name of a '${type.name}' field must be a non-empty string`);
  if (typeof nullable !== 'boolean')
    throw invalidValue(type.name, `field '${name}': nullable must be a boolean (got ${describeValue(nullable)})`);
  if (
    metadata !== undefined &&
    !(metadata instanceof Map && [...metadata].every(([k, v]) => typeof k === 'string' && typeof v === 'string'))
  )
    throw invalidValue(
      type.name,
      `field '${name}': the extra metadata must be a Map of strings to strings (got ${describeValue(metadata)})`,
    );
  const entries = new Map(metadata ?? []);
  for (const key of [EXTENSION_NAME_KEY, EXTENSION_METADATA_KEY]) {
    if (entries.has(key))
      throw invalidValue(
        type.name,
        `field '${name}': the extra metadata may not set '${key}' (it comes from the logical type)`,
      );
  }
  entries.set(EXTENSION_NAME_KEY, type.name);
  entries.set(EXTENSION_METADATA_KEY, type.metadata);
  return new Field(name, type.storageType, nullable, entries);
}

/**
 * The `ARROW:extension:name` of `field`, or `undefined` when it is not an extension field.
 * Anything but an Arrow Field is `INVALID_ARGUMENT`.
 */
export function extensionNameOf(field: Field): string | undefined {
  return requireField(field, 'extensionNameOf()').metadata.get(EXTENSION_NAME_KEY);
}

/**
 * The `ARROW:extension:metadata` of `field` ("" when the field has a name but no metadata entry).
 * Anything but an Arrow Field is `INVALID_ARGUMENT`.
 */
export function extensionMetadataOf(field: Field): string {
  return requireField(field, 'extensionMetadataOf()').metadata.get(EXTENSION_METADATA_KEY) ?? '';
}
