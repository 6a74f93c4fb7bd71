import type { Field, Schema } from 'apache-arrow';
import type { AnyLogicalType } from './defineLogicalType.js';
import { describeValue, invalidValue } from './logicalTypeErrors.js';
import type { LogicalTypeRegistry, ResolveOptions } from './logicalTypeRegistry.js';

/** A field of a schema that resolved to a registered logical type. */
export interface LogicalField {
  /** Names from the schema down to the field (one name for a top-level field). */
  readonly path: readonly string[];
  /** Indices from the schema down to the field (`[i]` for the schema's field `i`). */
  readonly indices: readonly number[];
  readonly field: Field;
  readonly type: AnyLogicalType;
}

/**
 * The fields of `schema` that carry a registered logical type, in schema order, nested ones
 * included (a struct member or list item of a logical type is found too; the storage of a resolved
 * field is not searched). A field with an unknown extension name (unless `unknown: 'asStorage'`),
 * another storage type, another encoding version or other metadata than the registered type throws
 * the `ReloadError` of `LogicalTypeRegistry.resolve`, naming the field's dotted path.
 */
export function logicalFieldsOf(
  schema: Schema,
  registry: LogicalTypeRegistry,
  options: ResolveOptions = {},
): LogicalField[] {
  const fields = (schema as Partial<Schema> | null)?.fields;
  if (!Array.isArray(fields))
    throw invalidValue('', `logicalFieldsOf() needs an Arrow Schema (got ${describeValue(schema)})`);
  const found: LogicalField[] = [];
  const visit = (field: Field, path: readonly string[], indices: readonly number[]): void => {
    const type = registry.resolve(field, options, path.join('.'));
    if (type !== undefined) {
      found.push({ path, indices, field, type });
      return;
    }
    const children = (field.type as { children?: Field[] | null }).children ?? [];
    children.forEach((child, i) => visit(child, [...path, child.name], [...indices, i]));
  };
  fields.forEach((field, i) => visit(field, [field.name], [i]));
  return found;
}
