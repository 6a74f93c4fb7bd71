import { ReloadError } from '@baton/core';
import type { CrdtKindProvider } from '@baton/core';

/** The `CORRUPT_INPUT` error of a broken provider's `fromPersisted`, naming the kind and what failed. */
export function corruptBody(kind: string, message: string, cause?: unknown): ReloadError {
  return new ReloadError({
    code: 'CORRUPT_INPUT',
    phase: 'decode',
    kind: 'crdtKind',
    key: kind,
    message: `cannot read '${kind}' state: ${message}`,
    cause,
  });
}

/** `run()`, with an `INVALID_ARGUMENT` it throws (a bad replica id or count read from bytes) as `CORRUPT_INPUT`. */
export function asCorrupt<T>(kind: string, what: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof ReloadError && error.code === 'INVALID_ARGUMENT')
      throw corruptBody(kind, `${what}: ${error.message}`, error);
    throw error;
  }
}

/**
 * `old`, the provider a compat check is asked about, when it is one (an object whose `kind` is a
 * string and whose `formatVersion` is a number or absent); `INVALID_ARGUMENT` otherwise.
 */
export function oldProvider(kind: string, old: unknown): CrdtKindProvider {
  const fields = typeof old === 'object' && old !== null ? (old as Partial<Record<string, unknown>>) : undefined;
  if (
    fields === undefined ||
    typeof fields['kind'] !== 'string' ||
    (fields['formatVersion'] !== undefined && typeof fields['formatVersion'] !== 'number')
  )
    throw new ReloadError({
      code: 'INVALID_ARGUMENT',
      phase: 'call',
      kind: 'crdtKind',
      key: kind,
      message: `'${kind}': a compat check needs the old provider ({ kind, formatVersion })`,
    });
  return old as CrdtKindProvider;
}
