import { describeValue, invalidValue } from './logicalTypeErrors.js';

/** A JSON value as `JSON.parse` returns it. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** Deepest nesting of arrays and objects a JSON value may have (checked without deep recursion). */
const MAX_JSON_DEPTH = 512;

/**
 * What makes `value` not a JSON value, or `undefined` when it is one. A JSON value is `null`, a
 * boolean, a finite number, a string, a dense array or a plain object (prototype `Object.prototype`
 * or `null`, no symbol keys, no `undefined` members) of JSON values, without cycles, nested at most
 * `maxDepth` levels. Unlike `JSON.stringify`, nothing is silently dropped or converted (`undefined`
 * members, `toJSON`, `NaN`), so a stored value reads back equal. A `maxDepth` that is not a
 * non-negative integer is `INVALID_ARGUMENT`.
 */
export function jsonValueProblem(value: unknown, maxDepth = MAX_JSON_DEPTH): string | undefined {
  if (!Number.isSafeInteger(maxDepth) || maxDepth < 0)
    throw invalidValue(
      '',
      `jsonValueProblem(): maxDepth must be a non-negative integer (got ${describeValue(maxDepth)})`,
    );
  const path: (string | number)[] = [];
  const ancestors = new Set<object>();
  const at = (): string => (path.length === 0 ? '' : ` at ${renderPath(path)}`);

  const visit = (v: unknown): string | undefined => {
    switch (typeof v) {
      case 'string':
      case 'boolean':
        return undefined;
      case 'number':
        return Number.isFinite(v) ? undefined : `${String(v)}${at()} is not a JSON number`;
      case 'bigint':
        return `the bigint ${v}n${at()} is not JSON (store it as a string or a number)`;
      case 'undefined':
      case 'function':
      case 'symbol':
        return `${typeof v}${at()} is not JSON`;
      case 'object':
        break;
    }
    if (v === null) return undefined;
    if (ancestors.has(v)) return `a cycle${at()} cannot be stored as JSON`;
    if (ancestors.size >= maxDepth) return `the value is nested deeper than ${maxDepth} levels${at()}`;
    ancestors.add(v);
    try {
      return Array.isArray(v) ? visitArray(v as unknown[]) : visitObject(v);
    } catch (error) {
      return `reading the value${at()} threw: ${error instanceof Error ? error.message : String(error)}`;
    } finally {
      ancestors.delete(v);
    }
  };

  const visitArray = (array: readonly unknown[]): string | undefined => {
    for (let i = 0; i < array.length; i++) {
      path.push(i);
      const problem = i in array ? visit(array[i]) : `a hole in a sparse array${at()} is not JSON`;
      path.pop();
      if (problem !== undefined) return problem;
    }
    return undefined;
  };

  const visitObject = (object: object): string | undefined => {
    const proto: unknown = Object.getPrototypeOf(object);
    if (proto !== Object.prototype && proto !== null) {
      const name = (object as { constructor?: { name?: unknown } }).constructor?.name;
      return `${typeof name === 'string' && name !== '' ? `a ${name}` : 'an object with a custom prototype'}${at()} is not JSON (only plain objects and arrays are)`;
    }
    if (Object.getOwnPropertySymbols(object).length > 0) return `an object with symbol keys${at()} is not JSON`;
    for (const key of Object.keys(object)) {
      path.push(key);
      const problem = visit((object as Record<string, unknown>)[key]);
      path.pop();
      if (problem !== undefined) return problem;
    }
    return undefined;
  };

  return visit(value);
}

/**
 * The canonical JSON text of a JSON value (RFC 8785, JSON Canonicalization Scheme): object keys
 * sorted by UTF-16 code units, no whitespace, numbers and strings as ECMAScript serialises them
 * (so `-0` is written `0`). Equal values give equal text. A value that is not JSON (see
 * {@link jsonValueProblem}: a bigint, `undefined`, a cycle, a class instance…) is `INVALID_ARGUMENT`.
 */
export function canonicalJson(value: JsonValue): string {
  const problem = jsonValueProblem(value);
  if (problem !== undefined) throw invalidValue('', `canonicalJson(): ${problem}`);
  return canonicalJsonOf(value);
}

/** {@link canonicalJson} of a value known to pass {@link jsonValueProblem}. */
export function canonicalJsonOf(value: JsonValue): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++)
      out += (i > 0 ? ',' : '') + canonicalJsonOf((value as readonly JsonValue[])[i]!);
    return out + ']';
  }
  const object = value as { readonly [key: string]: JsonValue };
  const keys = Object.keys(object).sort();
  let out = '{';
  for (let i = 0; i < keys.length; i++)
    out += (i > 0 ? ',' : '') + JSON.stringify(keys[i]) + ':' + canonicalJsonOf(object[keys[i]!]!);
  return out + '}';
}

function renderPath(path: readonly (string | number)[]): string {
  return (
    '$' +
    path
      .map((step) =>
        typeof step === 'number'
          ? `[${step}]`
          : /^[A-Za-z_$][\w$]*$/.test(step)
            ? `.${step}`
            : `[${JSON.stringify(step)}]`,
      )
      .join('')
  );
}
