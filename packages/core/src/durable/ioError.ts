import { ReloadError } from '../errors/reloadError.js';
import { checkErrorContextArg, checkFunctionArg, checkStringArg } from './durableArgs.js';
import type { IoErrorContext } from './ioErrorContext.js';

export type { IoErrorContext } from './ioErrorContext.js';

/** The `code` of a Node system error (`ENOSPC`, `EACCES`, …), if `error` is one. */
export function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * An `IO_FAILED` error for a file-system operation that failed: the message names the operation,
 * the path and the system error code, `cause` holds the original error and `details` the path and
 * code. A `ReloadError` passed as `cause` is returned unchanged (it already says what failed).
 * `operation` and `path` must be strings and `context` an {@link IoErrorContext} (else `INVALID_ARGUMENT`).
 */
export function ioFailed(operation: string, path: string, cause: unknown, context: IoErrorContext = {}): ReloadError {
  checkStringArg('ioFailed: operation', operation);
  checkStringArg('ioFailed: path', path);
  checkErrorContextArg('ioFailed: context', context);
  if (cause instanceof ReloadError) return cause;
  const errno = errnoCode(cause);
  const reason = cause instanceof Error ? cause.message : String(cause);
  const { prefix = '', phase = 'call', ...where } = context;
  return new ReloadError({
    code: 'IO_FAILED',
    phase,
    ...where,
    message: `${prefix}${operation} ${path} failed${errno ? ` (${errno})` : ''}: ${reason}`,
    cause,
    details: { path, operation, ...(errno ? { errno } : {}) },
  });
}

/**
 * Runs a file-system operation and turns any failure into {@link ioFailed} (a `ReloadError` it
 * throws passes through unchanged). `io` must be a function (else `INVALID_ARGUMENT`).
 */
export async function withIo<T>(
  operation: string,
  path: string,
  io: () => Promise<T>,
  context: IoErrorContext = {},
): Promise<T> {
  checkStringArg('withIo: operation', operation);
  checkStringArg('withIo: path', path);
  checkFunctionArg('withIo: io', io);
  checkErrorContextArg('withIo: context', context);
  try {
    return await io();
  } catch (error) {
    throw ioFailed(operation, path, error, context);
  }
}
