import { ReloadError, isReloadError } from '@baton/core';
import type { ReloadErrorCode, ReloadPhase } from '@baton/core';

/**
 * Where in the fleet's work an error happened. A `ReloadError`'s `phase` names the phases of one
 * host's reload; the fleet's own steps are named here and carried in the error's `step` (and in
 * `details.fleetPhase`), with `phase: 'call'` (or the reload phase when a host's reload failed).
 */
export type FleetPhase =
  | 'schema'
  | 'join'
  | 'heartbeat'
  | 'leave'
  | 'members'
  | 'listen'
  | 'claim'
  | 'command'
  | 'record'
  | 'lock'
  | 'preflight'
  | 'plan'
  | 'issue'
  | 'wait'
  | 'gate'
  | 'halt'
  | 'rollback'
  | 'resume';

/** What {@link fleetError} makes a `ReloadError` from. */
export interface FleetErrorInit {
  readonly code: ReloadErrorCode;
  readonly fleetPhase: FleetPhase;
  /** What failed, in words (the message starts with it). */
  readonly message: string;
  readonly plugin?: string;
  /** The member or rollout concerned (`member m1`, `rollout 7`). */
  readonly key?: string;
  readonly phase?: ReloadPhase;
  readonly cause?: unknown;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** A `ReloadError` of the fleet: `step` and `details.fleetPhase` name the fleet's phase. */
export function fleetError(init: FleetErrorInit): ReloadError {
  return new ReloadError({
    code: init.code,
    phase: init.phase ?? 'call',
    step: init.fleetPhase,
    message: init.message,
    ...(init.plugin === undefined ? {} : { plugin: init.plugin }),
    ...(init.key === undefined ? {} : { key: init.key }),
    ...(init.cause === undefined ? {} : { cause: init.cause }),
    details: { ...init.details, fleetPhase: init.fleetPhase },
  });
}

/** The SQLSTATE of a server error (`error.code` of a `pg` DatabaseError), if it is one. */
export function sqlStateOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/**
 * The code a PostgreSQL failure gets: a lock another session holds (`55P03`) or a unique row another
 * writer made first (`23505`) is `LOCKED`; a statement refused as malformed (class `42`) or a value
 * it cannot store (class `22`) is `INVALID_ARGUMENT`; anything else (a refused or lost connection, a
 * server shutting down) is `IO_FAILED`.
 */
function pgCode(error: unknown): ReloadErrorCode {
  const state = sqlStateOf(error);
  if (state === '55P03' || state === '23505') return 'LOCKED';
  if (state?.startsWith('42') === true || state?.startsWith('22') === true) return 'INVALID_ARGUMENT';
  return 'IO_FAILED';
}

/** Where a PostgreSQL call was made, for {@link withPg}. */
export type PgContext = Omit<FleetErrorInit, 'code' | 'cause'>;

/**
 * Runs `task`; a failure becomes a fleet `ReloadError` whose message names what was being done, the
 * server's words and SQLSTATE (the original error is the cause). A `ReloadError` passes unchanged.
 */
export async function withPg<T>(context: PgContext, task: () => Promise<T>): Promise<T> {
  try {
    return await task();
  } catch (error) {
    if (isReloadError(error)) throw error;
    const state = sqlStateOf(error);
    const detail = error instanceof Error ? error.message : String(error);
    throw fleetError({
      ...context,
      code: pgCode(error),
      message: `${context.message} failed: ${detail || 'no message'}${state === undefined ? '' : ` (SQLSTATE ${state})`}`,
      cause: error,
    });
  }
}

/**
 * `error` if it is a `ReloadError`; otherwise a fleet error with `code` (default `INTERNAL`) whose
 * message is `message` and the error's own words, and whose cause is `error`.
 */
export function toFleetError(
  error: unknown,
  fleetPhase: FleetPhase,
  message: string,
  code: ReloadErrorCode = 'INTERNAL',
): ReloadError {
  if (isReloadError(error)) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return fleetError({ code, fleetPhase, message: `${message}: ${detail}`, cause: error });
}
