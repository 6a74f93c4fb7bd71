/** A value, or a promise of one: what provider methods may return. */
export type MaybePromise<T> = T | PromiseLike<T>;

/** Options every cancellable provider call accepts. */
export interface CallOptions {
  /** Aborted when the caller gives up (a reload step timed out or the reload was aborted). */
  readonly signal?: AbortSignal;
}

/** True when `value` is a thenable (a Promise or promise-like). */
export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
