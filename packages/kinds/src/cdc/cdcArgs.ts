import { invalidCdc } from './batchCheck.js';
import type { CdcErrorContext } from './batchCheck.js';

/**
 * Argument checks of the CDC exports: a wrong-typed argument is `INVALID_ARGUMENT` naming it, never
 * a `TypeError` from deep inside. Options objects a user writes (`fileCdcOutput({ … })`,
 * `readFileSink(dir, { … })`, …) refuse keys they do not know, so a misspelt option is never
 * silently ignored. Call options the host passes (`start`, `checkpoint`, `shutdown`) have their
 * known keys checked but tolerate others: a newer host may pass keys an older plugin's copy of
 * this package does not know, and that must not fail a reload.
 */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  return typeof value === 'object' ? (Array.isArray(value) ? 'an array' : 'an object') : `a ${typeof value}`;
}

/** `undefined` as `{}`, or a plain object; else `INVALID_ARGUMENT` naming `what`. */
function objectArg(value: unknown, what: string, context: CdcErrorContext): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalidCdc(context, `${what} must be an object (got ${describe(value)})`);
  return value as Record<string, unknown>;
}

/** An options object (or undefined) with only the `allowed` keys; returns it, `{}` for undefined. */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- T is what the checked object is read as
export function checkCdcOptions<T extends object>(
  options: unknown,
  allowed: readonly string[],
  what: string,
  context: CdcErrorContext,
): T {
  const object = objectArg(options, what, context);
  const unknown = Object.keys(object).filter((key) => !allowed.includes(key));
  if (unknown.length > 0)
    throw invalidCdc(
      context,
      `${what} has unknown option(s) ${unknown.map((k) => `'${k}'`).join(', ')} (known: ${allowed.join(', ')})`,
    );
  return object as T;
}

/** Call options the host passes: an object or undefined, `signal` an AbortSignal (other keys tolerated). */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- T is what the checked object is read as
export function checkCallOptions<T extends { readonly signal?: AbortSignal }>(
  options: unknown,
  what: string,
  context: CdcErrorContext,
): T {
  const object = objectArg(options, what, context);
  checkSignalArg(object.signal, `${what}: signal`, context);
  return object as T;
}

/** Undefined or an AbortSignal. */
export function checkSignalArg(value: unknown, what: string, context: CdcErrorContext): AbortSignal | undefined {
  if (value === undefined || value instanceof AbortSignal) return value;
  throw invalidCdc(context, `${what} must be an AbortSignal (got ${describe(value)})`);
}

/** A directory path: a non-empty string without NUL bytes. */
export function checkDirectoryArg(value: unknown, context: CdcErrorContext, what: string): string {
  if (typeof value !== 'string' || value === '' || value.includes('\0'))
    throw invalidCdc(context, `${what}: directory must be a non-empty path string (got ${describe(value)})`);
  return value;
}

/** A positive safe integer, `fallback` when undefined. */
export function checkPositiveInteger(name: string, value: unknown, fallback: number, context: CdcErrorContext): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0)
    throw invalidCdc(context, `${name} must be a positive integer (got ${describe(v)})`);
  return v;
}

/** Undefined or a function. */
export function checkFunctionArg(value: unknown, what: string, context: CdcErrorContext): void {
  if (value !== undefined && typeof value !== 'function')
    throw invalidCdc(context, `${what} must be a function (got ${describe(value)})`);
}
