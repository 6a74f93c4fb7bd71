import type { Field, Schema } from 'apache-arrow';
import type { AnyLogicalType } from './defineLogicalType.js';
import { describeValue, invalidValue } from './logicalTypeErrors.js';
import { LogicalTypeRegistry } from './logicalTypeRegistry.js';
import type { ResolveOptions } from './logicalTypeRegistry.js';

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
  if (!(registry instanceof LogicalTypeRegistry))
    throw invalidValue('', `logicalFieldsOf() needs a LogicalTypeRegistry (got ${describeValue(registry)})`);
  const found: LogicalField[] = [];
  // Depth first in schema order, without recursion. A node's dotted path extends its parent's (a
  // concatenation V8 keeps as a rope until it is read, in messages only); the name and index lists
  // are built from the parent chain for the fields found alone. So a schema of n fields, however
  // deep, costs O(n) here, not O(n × depth).
  const stack: FieldNode[] = [];
  const push = (children: readonly Field[], parent: FieldNode | undefined): void => {
    for (let i = children.length - 1; i >= 0; i--) {
      const field = children[i]!;
      const name = typeof field?.name === 'string' ? field.name : '';
      stack.push({ field, index: i, parent, path: parent === undefined ? name : `${parent.path}.${name}` });
    }
  };
  push(fields, undefined);
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    const type = registry.resolve(node.field, options, node.path);
    if (type !== undefined) {
      found.push({ ...lineOf(node), field: node.field, type });
      continue;
    }
    push((node.field.type as { children?: Field[] | null }).children ?? [], node);
  }
  return found;
}

/** A field met by {@link logicalFieldsOf}: where it is, and its parent. */
interface FieldNode {
  readonly field: Field;
  readonly index: number;
  readonly parent: FieldNode | undefined;
  readonly path: string;
}

/** The names and indices from the schema down to `node`. */
function lineOf(node: FieldNode): { path: string[]; indices: number[] } {
  const [path, indices]: [string[], number[]] = [[], []];
  for (let at: FieldNode | undefined = node; at !== undefined; at = at.parent) {
    path.push(at.field.name);
    indices.push(at.index);
  }
  return { path: path.reverse(), indices: indices.reverse() };
}
