import { setTimeout as delay } from 'node:timers/promises';
import { ReloadError, isReloadError } from '@baton/core';

/** How {@link pumpChanges} retries a delivery or checkpoint that failed with a retryable code. */
export interface PumpRetryOptions {
  /** How long to keep retrying one call before rejecting with its last error (default 30 000 ms). */
  readonly timeoutMs?: number;
  /** The first wait before a retry (default 50 ms); it doubles after each failure. */
  readonly initialDelayMs?: number;
  /** The longest wait between two attempts (default 2 000 ms). */
  readonly maxDelayMs?: number;
}

/** The checked retry options, defaults filled in. */
export interface CheckedPumpRetry {
  readonly timeoutMs: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

const KNOWN = ['timeoutMs', 'initialDelayMs', 'maxDelayMs'];

/**
 * The codes worth retrying: the sink is unreachable for now (`IO_FAILED`) or held by another session
 * (`LOCKED`) — but not a writer fenced by a newer lease token (`LOCKED` with `details.fenced`): it
 * lost the stream for good, and retrying would only delay its stop.
 */
function retryableForPump(error: unknown): boolean {
  if (!isReloadError(error)) return false;
  if (error.code === 'LOCKED') return error.details['fenced'] === undefined;
  return error.code === 'IO_FAILED';
}

/** Checks `retry` (`false`: off → `undefined`); `INVALID_ARGUMENT` naming what is wrong. */
export function checkPumpRetry(retry: unknown): CheckedPumpRetry | undefined {
  if (retry === false) return undefined;
  if (retry !== undefined && (typeof retry !== 'object' || retry === null))
    throw invalid('retry must be false or an object { timeoutMs?, initialDelayMs?, maxDelayMs? }');
  const given = (retry ?? {}) as Record<string, unknown>;
  const unknown = Object.keys(given).filter((key) => !KNOWN.includes(key));
  if (unknown.length > 0) throw invalid(`unknown retry option(s) ${unknown.join(', ')} (known: ${KNOWN.join(', ')})`);
  const ms = (value: unknown, what: string, fallback: number): number => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0 || value > 3_600_000)
      throw invalid(
        `retry.${what} must be a whole number of milliseconds in [1, 3600000] (got ${typeof value === 'number' ? value : typeof value})`,
      );
    return value;
  };
  const initialDelayMs = ms(given['initialDelayMs'], 'initialDelayMs', 50);
  const maxDelayMs = ms(given['maxDelayMs'], 'maxDelayMs', 2_000);
  if (maxDelayMs < initialDelayMs)
    throw invalid(`retry.maxDelayMs (${maxDelayMs}) must be at least retry.initialDelayMs (${initialDelayMs})`);
  return { timeoutMs: ms(given['timeoutMs'], 'timeoutMs', 30_000), initialDelayMs, maxDelayMs };
}

/**
 * Runs `call` until it succeeds; a failure with a retryable code ({@link retryableForPump}) is
 * retried — the same call, so a delivery is made again with the same batch — after a wait that
 * doubles from `initialDelayMs` up to `maxDelayMs`, until `timeoutMs` after the first failure. Any
 * other failure, the last one after the timeout, or one while `signal` is aborted rejects as it is.
 * `onRetry` hears each retried failure.
 */
export async function withPumpRetry<T>(
  call: () => Promise<T>,
  retry: CheckedPumpRetry | undefined,
  signal: AbortSignal | undefined,
  onRetry: (error: unknown) => void,
): Promise<T> {
  let deadline: number | undefined;
  let wait = retry?.initialDelayMs ?? 0;
  for (;;) {
    try {
      return await call();
    } catch (error) {
      if (!retry || !retryableForPump(error) || signal?.aborted) throw error;
      deadline ??= Date.now() + retry.timeoutMs;
      const left = deadline - Date.now();
      if (left <= 0) throw error;
      onRetry(error);
      try {
        await delay(Math.min(wait, left), undefined, signal ? { signal } : {});
      } catch {
        throw error; // aborted while waiting: the call did not succeed
      }
      wait = Math.min(wait * 2, retry.maxDelayMs);
    }
  }
}

function invalid(message: string): ReloadError {
  return new ReloadError({ code: 'INVALID_ARGUMENT', phase: 'call', message: `pumpChanges: ${message}` });
}
