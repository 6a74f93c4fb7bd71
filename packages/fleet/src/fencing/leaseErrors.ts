import { ReloadError, isReloadError } from '@baton/core';
import type { ReloadErrorCode } from '@baton/core';
import { sqlStateOf } from '../store/fleetErrors.js';

/** A lease call: what a lease error's `step` names. */
export type LeaseStep = 'acquire' | 'renew' | 'release' | 'schema';

/** What {@link leaseError} makes an error from. */
export interface LeaseErrorInit {
  readonly code: ReloadErrorCode;
  readonly step: LeaseStep;
  /** The lease's stream (the error's `key`); none for the schema. */
  readonly stream?: string;
  readonly message: string;
  readonly cause?: unknown;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** A `ReloadError` of a CDC lease: kind `cdcLease`, key the stream, step the call. */
export function leaseError(init: LeaseErrorInit): ReloadError {
  return new ReloadError({
    code: init.code,
    phase: 'call',
    kind: 'cdcLease',
    ...(init.stream === undefined ? {} : { key: init.stream }),
    step: init.step,
    message: `${init.stream === undefined ? 'CDC leases' : `CDC lease of stream '${init.stream}'`}: ${init.message}`,
    ...(init.cause === undefined ? {} : { cause: init.cause }),
    ...(init.details === undefined ? {} : { details: init.details }),
  });
}

/**
 * Runs `task`; a PostgreSQL failure becomes a lease error naming `doing`, the server's words and
 * SQLSTATE: the lease row locked by a transaction in flight (`55P03`, the lock timeout) is `LOCKED`
 * (retryable; `details.busy`), a statement refused (class `42`, e.g. no lease table) or a value
 * refused (class `22`) `INVALID_ARGUMENT`, anything else — a refused or lost connection — `IO_FAILED`.
 * A `ReloadError` passes unchanged.
 */
export async function leasePg<T>(
  step: LeaseStep,
  stream: string | undefined,
  doing: string,
  task: () => Promise<T>,
): Promise<T> {
  try {
    return await task();
  } catch (error) {
    if (isReloadError(error)) throw error;
    const state = sqlStateOf(error);
    const code: ReloadErrorCode =
      state === '55P03'
        ? 'LOCKED'
        : state?.startsWith('42') === true || state?.startsWith('22') === true
          ? 'INVALID_ARGUMENT'
          : 'IO_FAILED';
    const words = error instanceof Error ? error.message : String(error);
    throw leaseError({
      code,
      step,
      ...(stream === undefined ? {} : { stream }),
      message: `${doing} failed: ${
        state === '55P03' ? 'the lease row is locked by a transaction in flight (a write of its writer)' : words
      }${state === undefined ? '' : ` (SQLSTATE ${state})`}`,
      cause: error,
      ...(state === '55P03' ? { details: { busy: true } } : {}),
    });
  }
}
