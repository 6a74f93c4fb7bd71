import { ReloadError } from '@baton/core';
import type { CallOptions } from '@baton/core';
import { describeArgument } from '../codec/describeArgument.js';

/**
 * A `CORRUPT_INPUT` error for bytes an index kind cannot open (wrong kind, unknown format version,
 * truncated, corrupt or inconsistent), naming the kind and what was wrong.
 */
export function corruptIndex(kind: string, reason: string, cause?: unknown): ReloadError {
  return new ReloadError({
    code: 'CORRUPT_INPUT',
    phase: 'decode',
    kind: 'indexKind',
    key: kind,
    step: 'open',
    message: `cannot open '${kind}' index: ${reason}`,
    ...(cause === undefined ? {} : { cause }),
  });
}

/** An `INVALID_ARGUMENT` error for a bad build source, build parameter, query batch or `k`. */
export function invalidIndexArgument(kind: string, step: 'build' | 'probe', reason: string): ReloadError {
  return new ReloadError({
    code: 'INVALID_ARGUMENT',
    phase: 'call',
    kind: 'indexKind',
    key: kind,
    step,
    message: `'${kind}' index ${step}: ${reason}`,
  });
}

/** The `RESOURCE_CLOSED` error every call on a closed index handle throws. */
export function closedIndex(kind: string, step: string): ReloadError {
  return new ReloadError({
    code: 'RESOURCE_CLOSED',
    phase: 'call',
    kind: 'indexKind',
    key: kind,
    step,
    message: `'${kind}' index handle is closed (${step} after close)`,
  });
}

/** Throws an `ABORTED` error when the call's signal was already aborted. */
export function throwIfAborted(kind: string, step: string, options: CallOptions | undefined): void {
  const signal = options?.signal;
  if (signal?.aborted === true) {
    throw new ReloadError({
      code: 'ABORTED',
      phase: 'call',
      kind: 'indexKind',
      key: kind,
      step,
      message: `'${kind}' index ${step} was aborted`,
      cause: signal.reason,
    });
  }
}

/** A readable name of an Arrow type (`Int32`, `FixedSizeList[3]<Float32>`, …) for messages. */
export function typeName(type: unknown): string {
  return typeof type === 'object' && type !== null ? (type as { toString(): string }).toString() : String(type);
}

/** Checks `k` is an integer (`k <= 0` is allowed and asks for nothing). */
export function checkK(kind: string, k: number): void {
  if (typeof k !== 'number' || !Number.isSafeInteger(k))
    throw invalidIndexArgument(kind, 'probe', `k must be a safe integer, got ${describeArgument(k)}`);
}
