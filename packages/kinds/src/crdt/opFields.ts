import { describeValue, invalidCrdtArgument } from './crdtErrors.js';
import { ownPrimitive, primitiveProblem, replicaIdProblem } from './primitive.js';
import type { CrdtPrimitive } from './primitive.js';

/**
 * Validates the fields of one CRDT operation for `kind`. Every method throws an `INVALID_ARGUMENT`
 * {@link ReloadError} naming the field and what is wrong, before the state is touched.
 */
export class OpFields {
  readonly #kind: string;
  readonly #op: Readonly<Record<string, unknown>>;

  constructor(kind: string, op: unknown) {
    this.#kind = kind;
    if (typeof op !== 'object' || op === null || Array.isArray(op))
      throw invalidCrdtArgument(kind, `an operation must be an object, not ${describeValue(op)}`);
    this.#op = op as Readonly<Record<string, unknown>>;
  }

  /** True when the op has `field` (own or inherited) with a value other than `undefined`. */
  has(field: string): boolean {
    return this.#op[field] !== undefined;
  }

  /** A valid replica id in `field`. */
  replica(field = 'replica'): string {
    const value = this.#op[field];
    const problem = replicaIdProblem(value);
    if (problem !== undefined) throw this.fail(field, problem);
    return value as string;
  }

  /** A valid {@link CrdtPrimitive} in `field`, in its stored form (bytes copied, `-0` as `0`). */
  primitive(field: string): CrdtPrimitive {
    const value = this.#op[field];
    if (value === undefined) throw this.fail(field, 'missing');
    const problem = primitiveProblem(value);
    if (problem !== undefined) throw this.fail(field, problem);
    return ownPrimitive(value as CrdtPrimitive);
  }

  /** A safe integer in `field`, within [min, max]. */
  integer(field: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const value = this.#op[field];
    if (typeof value !== 'number' || !Number.isSafeInteger(value))
      throw this.fail(field, `must be a safe integer, not ${show(value)}`);
    if (value < min || value > max) throw this.fail(field, `${value} is outside [${min}, ${max}]`);
    return value === 0 ? 0 : value;
  }

  /** A finite number ≥ 0 in `field` (`-0` as `0`). */
  nonNegative(field: string): number {
    const value = this.#op[field];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
      throw this.fail(field, `must be a finite number ≥ 0, not ${show(value)}`);
    return value === 0 ? 0 : value;
  }

  /** The `INVALID_ARGUMENT` error for `field`. */
  fail(field: string, problem: string): Error {
    return invalidCrdtArgument(this.#kind, `invalid operation: ${field}: ${problem}`);
  }
}

function show(value: unknown): string {
  return typeof value === 'number' ? String(value) : describeValue(value);
}
