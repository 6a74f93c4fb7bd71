import { deferred } from './deferred.js';
import type { MaybePromise } from './maybePromise.js';

/** Options of {@link withDeadline}. */
export interface DeadlineOptions<T> {
  /** Milliseconds before the call is abandoned with a `TimeoutError`. `Infinity` disables it. */
  readonly timeoutMs: number;
  /** Abandons the call with the signal's reason when aborted. */
  readonly signal?: AbortSignal | undefined;
  /**
   * Called with a value that arrives after the call was abandoned, so it can be disposed of
   * (a handle opened too late is closed rather than leaked). Errors it throws are ignored.
   */
  readonly onLate?: ((value: T) => MaybePromise<unknown>) | undefined;
}

/** A `DOMException` named `TimeoutError`, as `AbortSignal.timeout` uses. */
export function timeoutError(timeoutMs: number, what = 'operation'): DOMException {
  return new DOMException(`${what} did not settle within ${timeoutMs} ms`, 'TimeoutError');
}

/** The reason an aborted signal carries, as an Error (`AbortError` when the reason is not one). */
export function abortReason(signal: AbortSignal): unknown {
  const reason: unknown = signal.reason;
  return reason ?? new DOMException('This operation was aborted', 'AbortError');
}

/**
 * Runs `fn` with a signal that aborts at the deadline or when `options.signal` aborts, and settles
 * no later than that: a provider that hangs cannot wedge its caller. `fn` should honour the signal;
 * if it does not, its late result is handed to `onLate`.
 */
export async function withDeadline<T>(
  fn: (signal: AbortSignal) => MaybePromise<T>,
  options: DeadlineOptions<T>,
): Promise<T> {
  const { timeoutMs, signal: parent, onLate } = options;
  if (parent?.aborted) throw abortReason(parent);
  const controller = new AbortController();
  const abandoned = deferred<never>();
  let settled = false;
  const abandon = (reason: unknown): void => {
    if (settled) return;
    settled = true;
    controller.abort(reason);
    abandoned.reject(reason);
  };
  const onParentAbort = (): void => abandon(abortReason(parent!));
  parent?.addEventListener('abort', onParentAbort, { once: true });
  const timer = Number.isFinite(timeoutMs)
    ? setTimeout(() => abandon(timeoutError(timeoutMs)), Math.max(0, timeoutMs))
    : undefined;
  try {
    const work = Promise.resolve().then(() => fn(controller.signal));
    work.then(
      (value) => {
        if (settled && onLate)
          void Promise.resolve()
            .then(() => onLate(value))
            .catch(() => undefined);
      },
      () => undefined,
    );
    const value = await Promise.race([work, abandoned.promise]);
    settled = true;
    return value;
  } finally {
    settled = true;
    if (timer !== undefined) clearTimeout(timer);
    parent?.removeEventListener('abort', onParentAbort);
  }
}

/**
 * Waits for `promise` for at most `timeoutMs` or until `signal` aborts. Unlike {@link withDeadline}
 * it starts nothing; it only bounds a wait.
 */
export async function waitWithin<T>(
  promise: Promise<T>,
  timeoutMs: number,
  signal?: AbortSignal,
  what?: string,
): Promise<T> {
  return withDeadline(() => promise, { timeoutMs, signal, onLate: undefined }).catch((error: unknown) => {
    if (error instanceof DOMException && error.name === 'TimeoutError' && what) throw timeoutError(timeoutMs, what);
    throw error;
  });
}
