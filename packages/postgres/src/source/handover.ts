import { ReloadError } from '@baton/core';

interface Waiter<T> {
  readonly resolve: (value: T | undefined) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * A one-place rendezvous between a producer (the replication stream) and a consumer (`next()`):
 * `put(value)` resolves only when the consumer asks for the value after it — that is, after it has
 * delivered this one — so at most one produced value waits in memory and a slow consumer stops the
 * producer instead of being buffered for.
 */
export class Handover<T> {
  #offered: { readonly value: T; readonly release: () => void } | undefined;
  #waiter: Waiter<T> | undefined;
  /** Releases the producer of the value the consumer took last. */
  #release: (() => void) | undefined;
  #failure: { readonly error: unknown } | undefined;
  #closed = false;

  constructor(private readonly name: string) {}

  /** Offers `value`; resolves when the consumer comes back for the next one (or on close). */
  put(value: T): Promise<void> {
    return new Promise<void>((release) => {
      if (this.#closed || this.#failure) {
        release();
        return;
      }
      const waiter = this.#waiter;
      if (waiter) {
        this.#waiter = undefined;
        this.#release = release;
        waiter.resolve(value);
      } else {
        this.#offered = { value, release };
      }
    });
  }

  /**
   * The next value: releases the producer of the previous one, then waits for a value. Resolves
   * `undefined` once closed; rejects with the failure once failed, and with `ABORTED` when `signal`
   * aborts (a value that arrives later is kept for the next call).
   */
  take(signal?: AbortSignal): Promise<T | undefined> {
    const release = this.#release;
    this.#release = undefined;
    release?.();
    if (this.#failure) return Promise.reject(this.#failure.error);
    const offered = this.#offered;
    if (offered) {
      this.#offered = undefined;
      this.#release = offered.release;
      return Promise.resolve(offered.value);
    }
    if (this.#closed) return Promise.resolve(undefined);
    if (this.#waiter) {
      return Promise.reject(
        new ReloadError({
          code: 'INVALID_ARGUMENT',
          phase: 'call',
          message: `change source '${this.name}': next() was called while another next() is waiting`,
        }),
      );
    }
    if (signal?.aborted) return Promise.reject(aborted(this.name, signal));
    return new Promise<T | undefined>((resolve, reject) => {
      const onAbort = (): void => {
        if (this.#waiter === waiter) this.#waiter = undefined;
        reject(aborted(this.name, signal!));
      };
      const waiter: Waiter<T> = {
        resolve: (value) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(value);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      this.#waiter = waiter;
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Every later `take` rejects with `error`; a waiting one now. The producer is released. */
  fail(error: unknown): void {
    if (this.#failure || this.#closed) return;
    this.#failure = { error };
    this.#drain()?.reject(error);
  }

  /** Every later `take` resolves `undefined`; a waiting one now. The producer is released. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#drain()?.resolve(undefined);
  }

  #drain(): Waiter<T> | undefined {
    this.#offered?.release();
    this.#offered = undefined;
    this.#release?.();
    this.#release = undefined;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    return waiter;
  }
}

function aborted(name: string, signal: AbortSignal): ReloadError {
  return new ReloadError({
    code: 'ABORTED',
    phase: 'call',
    step: 'next',
    message: `change source '${name}': next() was aborted`,
    cause: signal.reason,
  });
}
