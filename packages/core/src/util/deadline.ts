import { onAbort } from './abortFanout.js';
import { isPromiseLike } from './maybePromise.js';
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
  /**
   * The controller whose signal `fn` gets and which is aborted when the call is abandoned (default:
   * a new one). Sequential calls may share one until it aborts: a signal costs microseconds to make.
   */
  readonly controller?: AbortController | undefined;
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
 *
 * `fn` is called synchronously; a synchronous throw becomes a rejection, and a synchronous result
 * settles at once (no timer is armed). Many concurrent calls under one parent signal share one
 * listener on it.
 */
export function withDeadline<T>(fn: (signal: AbortSignal) => MaybePromise<T>, options: DeadlineOptions<T>): Promise<T> {
  const { timeoutMs, signal: parent, onLate } = options;
  if (parent?.aborted) return Promise.reject(abortReason(parent));
  const controller = options.controller ?? new AbortController();
  let result: MaybePromise<T>;
  try {
    result = fn(controller.signal);
  } catch (error) {
    return Promise.reject(error);
  }
  if (!isPromiseLike(result)) return Promise.resolve(result);
  const work = result;
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let unsubscribe: (() => void) | undefined;
    const finish = (): void => {
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      unsubscribe?.();
    };
    const abandon = (reason: unknown): void => {
      if (settled) return;
      finish();
      controller.abort(reason);
      reject(reason);
    };
    if (Number.isFinite(timeoutMs))
      timer = setTimeout(
        () => {
          abandon(timeoutError(timeoutMs));
        },
        Math.max(0, timeoutMs),
      );
    if (parent)
      unsubscribe = onAbort(parent, () => {
        abandon(abortReason(parent));
      });
    work.then(
      (value) => {
        if (!settled) {
          finish();
          resolve(value);
        } else if (onLate) {
          void Promise.resolve()
            .then(() => onLate(value))
            .catch(() => undefined);
        }
      },
      (error: unknown) => {
        if (settled) return;
        finish();
        reject(error);
      },
    );
  });
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
