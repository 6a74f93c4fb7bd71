import type { ReloadError } from '@baton/core';
import { corruptCrdtState, describeValue } from './crdtErrors.js';
import { ownPrimitive, primitiveProblem, replicaIdProblem } from './primitive.js';
import type { CrdtPrimitive } from './primitive.js';

/**
 * Strict shape checks of a decoded envelope body of `kind`. Each method returns the checked value
 * or throws a `CORRUPT_INPUT` {@link ReloadError} naming the part (`what`) and the problem. Lengths
 * are checked before anything is allocated from them.
 */
export class BodyReader {
  constructor(readonly kind: string) {}

  /** The `CORRUPT_INPUT` error for this kind. */
  fail(message: string, cause?: unknown): ReloadError {
    return corruptCrdtState(this.kind, message, cause);
  }

  /** An array; of exactly `length` items when given. */
  array(value: unknown, what: string, length?: number): unknown[] {
    if (!Array.isArray(value)) throw this.fail(`${what} must be an array, not ${describeValue(value)}`);
    if (length !== undefined && value.length !== length)
      throw this.fail(`${what} has ${value.length} items where ${length} were expected`);
    return value;
  }

  /** A byte string. */
  bytes(value: unknown, what: string): Uint8Array {
    if (!(value instanceof Uint8Array)) throw this.fail(`${what} must be bytes, not ${describeValue(value)}`);
    return value;
  }

  /** An array of `length` safe integers, each in [min, max]. */
  integers(value: unknown, what: string, length: number, min: number, max = Number.MAX_SAFE_INTEGER): number[] {
    const items = this.array(value, what, length);
    for (let i = 0; i < items.length; i++) this.integer(items[i], `${what}[${i}]`, min, max);
    return items as number[];
  }

  /** A safe integer in [min, max]. */
  integer(value: unknown, what: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
    if (typeof value !== 'number' || !Number.isSafeInteger(value))
      throw this.fail(`${what} must be a safe integer, not ${show(value)}`);
    if (value < min || value > max) throw this.fail(`${what} = ${value} is outside [${min}, ${max}]`);
    return value;
  }

  /** A finite number ≥ 0. */
  nonNegative(value: unknown, what: string): number {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
      throw this.fail(`${what} must be a finite number ≥ 0, not ${show(value)}`);
    return value;
  }

  /** A valid replica id. */
  replicaId(value: unknown, what: string): string {
    const problem = replicaIdProblem(value);
    if (problem !== undefined) throw this.fail(`${what}: ${problem}`);
    return value as string;
  }

  /** A valid {@link CrdtPrimitive}, in its stored form (bytes copied out of the input, `-0` as `0`). */
  primitive(value: unknown, what: string): CrdtPrimitive {
    const problem = primitiveProblem(value);
    if (problem !== undefined) throw this.fail(`${what}: ${problem}`);
    return ownPrimitive(value as CrdtPrimitive);
  }
}

/**
 * True when `value` is a safe integer in [min, max]: the check the decoders' loops make per item
 * before asking a {@link BodyReader} for the error (whose message is built only on failure).
 */
export function isIntegerIn(value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): value is number {
  return Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max;
}

function show(value: unknown): string {
  return typeof value === 'number' ? String(value) : describeValue(value);
}
