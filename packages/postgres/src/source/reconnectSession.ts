import { setTimeout as delay } from 'node:timers/promises';
import { ReloadError, isReloadError } from '@baton/core';
import { formatLsn } from '../lsn/lsn.js';
import { ReplicationSession } from './replicationSession.js';
import type { SessionHandlers, SessionTarget } from './replicationSession.js';
import type { CheckedReconnect } from './sourceOptions.js';

/** What a reconnection needs besides the session's target. */
export interface ReconnectPlan {
  readonly options: CheckedReconnect;
  /** Why the previous session ended (named in the final error). */
  readonly lost: unknown;
  /** Stops trying (the source was closed): resolves `undefined`. */
  readonly signal: AbortSignal;
  /** Makes the handlers of one attempt (each attempt is a new session). */
  readonly handlers: () => SessionHandlers;
}

/**
 * Opens a new replication session after one was lost, with bounded exponential backoff: waits
 * `initialDelayMs`, doubling up to `maxDelayMs`, and retries while each attempt fails with
 * `IO_FAILED` (the server is down, starting up or in recovery) or `LOCKED` (the old walsender still
 * holds the slot), until `timeoutMs` after the loss; then it rejects with `IO_FAILED` naming the
 * loss and the last attempt's error. Any other error (the slot was dropped: `INVALID_ARGUMENT`)
 * rejects at once with that error's code. Resolves `undefined` when `plan.signal` aborts (a session opened meanwhile is
 * stopped).
 */
export async function reconnectSession(
  target: SessionTarget,
  plan: ReconnectPlan,
): Promise<ReplicationSession | undefined> {
  const { options, signal } = plan;
  const deadline = Date.now() + options.timeoutMs;
  let wait = options.initialDelayMs;
  let last: unknown;
  let attempts = 0;
  for (;;) {
    const left = deadline - Date.now();
    try {
      await delay(Math.max(0, Math.min(wait, left)), undefined, { signal });
    } catch {
      return undefined; // aborted
    }
    attempts++;
    try {
      const session = await ReplicationSession.start(
        {
          ...target,
          acquireTimeoutMs: Math.max(1, Math.min(target.acquireTimeoutMs, deadline - Date.now())),
          signal,
        },
        plan.handlers(),
      );
      if (signal.aborted) {
        await session.stop();
        return undefined;
      }
      return session;
    } catch (error) {
      if (signal.aborted) return undefined;
      last = error;
      const retryable = isReloadError(error) && (error.code === 'IO_FAILED' || error.code === 'LOCKED');
      if (!retryable || Date.now() >= deadline) break;
    }
    wait = Math.min(wait * 2, options.maxDelayMs);
  }
  // A permanent failure (the slot was dropped, the publication is gone) keeps its own code: a
  // supervisor must not take it for a passing outage and open a new source (which would make a new
  // slot at today's WAL position and skip what the old one still held).
  const code = isReloadError(last) && last.code !== 'LOCKED' ? last.code : 'IO_FAILED';
  throw new ReloadError({
    code,
    phase: 'call',
    step: 'next',
    message:
      `change source '${target.source}': the replication connection was lost (${messageOf(plan.lost)}) and ` +
      `could not be opened again from LSN ${formatLsn(target.startLsn)} in ${attempts} attempt(s) within ` +
      `${options.timeoutMs} ms: ${messageOf(last)}`,
    cause: last,
  });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
