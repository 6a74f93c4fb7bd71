import { ReloadError } from '@baton/core';

/**
 * The `INVALID_ARGUMENT` error of a CRDT operation or call that breaks the kind's contract (a bad
 * op, a merge with a state of another kind, a bad provider option). Nothing was changed.
 */
export function invalidCrdtArgument(kind: string, message: string, cause?: unknown): ReloadError {
  return new ReloadError({
    code: 'INVALID_ARGUMENT',
    phase: 'call',
    kind: 'crdtKind',
    key: kind,
    message: `'${kind}': ${message}`,
    cause,
  });
}

/**
 * The `CORRUPT_INPUT` error of persisted CRDT bytes whose envelope is sound but whose body is not a
 * state this reader wrote (wrong types, negative counts, mismatched lengths, duplicates…).
 */
export function corruptCrdtState(kind: string, message: string, cause?: unknown): ReloadError {
  return new ReloadError({
    code: 'CORRUPT_INPUT',
    phase: 'decode',
    kind: 'crdtKind',
    key: kind,
    message: `cannot read '${kind}' state: ${message}`,
    cause,
  });
}

/** A short description of a value's type for error messages (`null`, `an array`, `a Map`, `a string`…). */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') {
    const name = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
    return typeof name === 'string' && name !== 'Object' ? `a ${name}` : 'an object';
  }
  return typeof value === 'undefined' ? 'undefined' : `a ${typeof value}`;
}
