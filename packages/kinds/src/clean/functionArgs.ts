import { ReloadError } from '@baton/core';
import { isArrowVector } from 'apache-arrow';
import type { DataType, Vector } from 'apache-arrow';

/** An `INVALID_ARGUMENT` error of a function call. */
export function invalidCall(kind: string, name: string, message: string): ReloadError {
  return new ReloadError({ code: 'INVALID_ARGUMENT', phase: 'call', kind, key: name, message: `${name}: ${message}` });
}

/** Throws `ABORTED` when the call's signal is aborted. */
export function checkSignal(kind: string, name: string, signal: AbortSignal | undefined): void {
  if (signal?.aborted)
    throw new ReloadError({
      code: 'ABORTED',
      phase: 'call',
      kind,
      key: name,
      message: `${name}: call aborted`,
      cause: signal.reason,
    });
}

/**
 * Checks a call passes exactly one Arrow vector whose type `accepts`; returns it. `expected` names
 * the accepted type in the error message.
 */
export function singleArgument(
  kind: string,
  name: string,
  args: readonly Vector[],
  accepts: (type: DataType) => boolean,
  expected: string,
): Vector {
  if (!Array.isArray(args) || args.length !== 1)
    throw invalidCall(kind, name, `expects 1 argument, got ${Array.isArray(args) ? args.length : typeof args}`);
  const [arg] = args as [unknown];
  if (!isArrowVector(arg)) throw invalidCall(kind, name, 'the argument must be an Arrow Vector');
  const type: DataType = arg.type as DataType;
  if (!accepts(type))
    throw invalidCall(kind, name, `expects ${expected}, got ${(type as { toString(): string }).toString()}`);
  return arg;
}

/** A validity bitmap (Arrow layout: LSB first) for `valid`, or undefined when every row is valid. */
export function validityBitmap(
  length: number,
  valid: (row: number) => boolean,
): { bitmap: Uint8Array | undefined; nullCount: number } {
  let bitmap: Uint8Array | undefined;
  let nullCount = 0;
  for (let row = 0; row < length; row++) {
    if (valid(row)) continue;
    if (!bitmap) bitmap = new Uint8Array(Math.ceil(length / 8)).fill(0xff);
    bitmap[row >> 3]! &= ~(1 << (row & 7));
    nullCount++;
  }
  return { bitmap, nullCount };
}
