import { ReloadError, isReloadError } from '@baton/core';
import type { ReloadErrorCode, ReloadPhase } from '@baton/core';

/** Where a PostgreSQL failure happened: the surface and call, and what was being done in words. */
export interface PgErrorContext {
  /** What was being done, e.g. `CDC 'audit': write batch [10, 20)` (the message starts with it). */
  readonly what: string;
  readonly phase?: ReloadPhase;
  readonly kind?: string;
  readonly key?: string;
  readonly step?: string;
}

/** The SQLSTATE of a server error (`error.code` of a `pg` DatabaseError), if it is one. */
export function sqlStateOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/**
 * The code a PostgreSQL failure gets: a resource another session holds (`55006` object in use,
 * `55P03` lock not available) is `LOCKED`; a statement the server refuses as malformed or naming
 * something that does not exist (class `42`), or a value it cannot store (class `22`), is
 * `INVALID_ARGUMENT`; everything else — refused or lost connections, a server shutting down, out of
 * resources — is `IO_FAILED`.
 */
function pgErrorCode(error: unknown): ReloadErrorCode {
  const state = sqlStateOf(error);
  if (state === '55006' || state === '55P03') return 'LOCKED';
  if (state?.startsWith('42') || state?.startsWith('22')) return 'INVALID_ARGUMENT';
  return 'IO_FAILED';
}

/**
 * A `ReloadError` for a failed PostgreSQL call: the message names what was being done, the server's
 * words and SQLSTATE, and the original error is the cause. A `ReloadError` passes through unchanged.
 */
export function pgFailure(error: unknown, context: PgErrorContext, code = pgErrorCode(error)): ReloadError {
  if (isReloadError(error)) return error;
  const state = sqlStateOf(error);
  const detail = error instanceof Error ? error.message : String(error);
  return new ReloadError({
    code,
    phase: context.phase ?? 'call',
    ...(context.kind === undefined ? {} : { kind: context.kind }),
    ...(context.key === undefined ? {} : { key: context.key }),
    ...(context.step === undefined ? {} : { step: context.step }),
    message: `${context.what} failed: ${detail || 'no message'}${state === undefined ? '' : ` (SQLSTATE ${state})`}`,
    cause: error,
  });
}

/** Runs `task`, turning whatever it throws into {@link pgFailure}. */
export async function withPg<T>(context: PgErrorContext, task: () => Promise<T>): Promise<T> {
  try {
    return await task();
  } catch (error) {
    throw pgFailure(error, context);
  }
}
