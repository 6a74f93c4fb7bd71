import { ReloadError } from '../errors/reloadError.js';
import { checkOptionKeys } from '../settings/checkSettings.js';
import type { IoErrorContext } from './ioErrorContext.js';

/**
 * Argument checks of the durable-file exports: a wrong-typed argument is `INVALID_ARGUMENT` naming
 * the function and the argument, never a `TypeError` or a `RangeError` from deep inside, and an
 * options object with a key it does not know is refused (a misspelt option is never ignored).
 */
function invalid(message: string): ReloadError {
  return new ReloadError({ code: 'INVALID_ARGUMENT', phase: 'call', message });
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value instanceof ArrayBuffer) return 'an ArrayBuffer';
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  return typeof value === 'object' ? (Array.isArray(value) ? 'an array' : 'an object') : `a ${typeof value}`;
}

/** A file path: a non-empty string without NUL bytes. */
export function checkPathArg(what: string, value: unknown): string {
  if (typeof value !== 'string' || value === '' || value.includes('\0'))
    throw invalid(`${what} must be a non-empty path string without NUL bytes (got ${describe(value)})`);
  return value;
}

/** Bytes: a `Uint8Array` (a `Buffer` is one); an `ArrayBuffer` or another view is refused. */
export function checkBytesArg(what: string, value: unknown): Uint8Array {
  if (!(value instanceof Uint8Array)) throw invalid(`${what} must be a Uint8Array (got ${describe(value)})`);
  return value;
}

/** A string (for names used in messages). */
export function checkStringArg(what: string, value: unknown): string {
  if (typeof value !== 'string') throw invalid(`${what} must be a string (got ${describe(value)})`);
  return value;
}

/** A function. */
export function checkFunctionArg(what: string, value: unknown): void {
  if (typeof value !== 'function') throw invalid(`${what} must be a function (got ${describe(value)})`);
}

/** A safe integer in `[min, max]`, or undefined. */
export function checkIntegerOption(what: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max)
    throw invalid(`${what} must be a whole number in [${min}, ${max}] (got ${describe(value)})`);
}

/** An options object (or undefined) with only the `allowed` keys; returns it, `{}` for undefined. */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- T is what the checked object is read as
export function checkOptionsArg<T extends object>(what: string, options: unknown, allowed: readonly string[]): T {
  checkOptionKeys(options, allowed, what, 'call');
  return (options ?? {}) as T;
}

const CONTEXT_KEYS = ['phase', 'kind', 'key', 'step', 'prefix'] as const;

/** An {@link IoErrorContext} (or undefined): known keys only, each a string. */
export function checkErrorContextArg(what: string, value: unknown): IoErrorContext | undefined {
  if (value === undefined) return undefined;
  const context = checkOptionsArg<Record<string, unknown>>(what, value, CONTEXT_KEYS);
  for (const key of CONTEXT_KEYS) {
    const field = context[key];
    if (field !== undefined && typeof field !== 'string')
      throw invalid(`${what}.${key} must be a string (got ${describe(field)})`);
  }
  return context;
}
