/**
 * Checks of {@link BodySchema} values: the builders of `bodySchema` check their arguments with
 * these, and `decodeEnvelope` checks the schemas a caller hands it (which may be written by hand),
 * so a wrong schema is an `INVALID_ARGUMENT` error, never a `TypeError` deep in a decode.
 */
import { ReloadError } from '@baton/core';
import type { BodySchema } from './bodySchemaTypes.js';
import { describeArgument } from './describeArgument.js';

/** Deepest nesting of tuples, lists and maps a schema may have. */
const MAX_SCHEMA_DEPTH = 64;

/** Schemas already checked (made by the builders, or checked once by `decodeEnvelope`). */
const checked = new WeakSet<object>();

/** The `INVALID_ARGUMENT` error of a wrong schema or schema builder argument. */
export function invalidSchema(message: string): ReloadError {
  return new ReloadError({ code: 'INVALID_ARGUMENT', phase: 'call', message: `body schema: ${message}` });
}

/** Why `value` is not a count or byte length a schema may name, or `undefined`. */
function lengthProblem(value: unknown): string | undefined {
  return Number.isSafeInteger(value) && (value as number) >= 0
    ? undefined
    : `${describeArgument(value)} is not a non-negative safe integer`;
}

/** `value`, when it is a count or byte length a schema may name; else `INVALID_ARGUMENT` naming `what`. */
export function schemaLength(value: unknown, what: string): number {
  const problem = lengthProblem(value);
  if (problem !== undefined) throw invalidSchema(`${what}: ${problem}`);
  return value as number;
}

/** `value`, when it is a schema (made by `bodySchema` or by hand); else `INVALID_ARGUMENT` naming `what`. */
export function requireBodySchema(value: unknown, what: string): BodySchema {
  const problem = bodySchemaProblem(value);
  if (problem !== undefined) throw invalidSchema(`${what}: ${problem}`);
  return value as BodySchema;
}

/** Records a schema a builder made from checked arguments. */
export function checkedSchema<S extends BodySchema>(schema: S): S {
  checked.add(schema);
  return schema;
}

const LEAVES = new Set(['str', 'number', 'bool', 'bin', 'bigint']);

/** Why `value` is not a {@link BodySchema}, or `undefined` when it is one. */
function bodySchemaProblem(value: unknown, depth = 0): string | undefined {
  if (typeof value !== 'object' || value === null) return `${describeArgument(value)} is not a body schema`;
  if (checked.has(value)) return undefined;
  if (depth > MAX_SCHEMA_DEPTH) return `schemas nested deeper than ${MAX_SCHEMA_DEPTH} levels (or a cycle)`;
  const schema = value as Record<string, unknown>;
  const problem = shapeProblem(schema, depth);
  if (problem === undefined) checked.add(value);
  return problem;
}

function shapeProblem(schema: Record<string, unknown>, depth: number): string | undefined {
  const flag = (name: string): string | undefined =>
    schema[name] === undefined || typeof schema[name] === 'boolean' ? undefined : `${name} must be a boolean`;
  const items = (list: unknown, what: string): string | undefined => {
    if (!Array.isArray(list)) return `${what} must be an array of schemas`;
    for (const [i, item] of (list as unknown[]).entries()) {
      const problem = bodySchemaProblem(item, depth + 1);
      if (problem !== undefined) return `${what}[${i}]: ${problem}`;
    }
    return undefined;
  };
  const length = (name: string): string | undefined => {
    const problem = lengthProblem(schema[name]);
    return problem === undefined ? undefined : `${name}: ${problem}`;
  };
  switch (schema['type']) {
    case 'number':
    case 'bool':
    case 'any':
      return undefined;
    case 'str':
      return (
        length('minBytes') ??
        length('maxBytes') ??
        ((schema['minBytes'] as number) > (schema['maxBytes'] as number) ? 'minBytes exceeds maxBytes' : undefined)
      );
    case 'bin':
    case 'bigint':
      return length('maxBytes');
    case 'oneOf': {
      if (typeof schema['description'] !== 'string') return 'a oneOf schema needs a description (a string)';
      const problem = items(schema['options'], 'options');
      if (problem !== undefined) return problem;
      const types = (schema['options'] as BodySchema[]).map((option) => option.type);
      if (types.some((type) => !LEAVES.has(type))) return 'oneOf options must be str, number, bool, bin or bigint';
      return new Set(types).size === types.length ? undefined : 'oneOf options must be of distinct types';
    }
    case 'tuple':
      return items(schema['items'], 'items') ?? flag('orEmpty');
    case 'list':
      return items([schema['item']], 'item') ?? length('maxItems') ?? flag('increasingBins');
    case 'map':
      return items([schema['key'], schema['value']], 'key and value') ?? length('maxEntries');
    default:
      return `${describeArgument(schema['type'])} is not a schema type`;
  }
}
