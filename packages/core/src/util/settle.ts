import { isPromiseLike } from './maybePromise.js';
import type { MaybePromise } from './maybePromise.js';

/** The one promise a synchronous `undefined` result becomes (a settled promise never changes). */
export const RESOLVED_VOID: Promise<undefined> = Promise.resolve(undefined);

/**
 * Returns `result` as a promise and runs `release` once it settles, without putting an extra promise
 * between the caller and the result (the release reaction is attached beside the caller's).
 */
export function settleThenRelease<T>(result: MaybePromise<T>, release: () => void): Promise<T> {
  if (result instanceof Promise) {
    // The common case first: a native promise gets the release reaction and goes back as it is.
    result.then(release, release);
    return result as Promise<T>;
  }
  if (result === undefined) {
    // Synchronous operations that return nothing (a CRDT apply, a CDC deliver) allocate nothing.
    release();
    return RESOLVED_VOID as Promise<T>;
  }
  if (!isPromiseLike(result)) {
    release();
    return Promise.resolve(result);
  }
  const promise = Promise.resolve(result);
  promise.then(release, release);
  return promise;
}
