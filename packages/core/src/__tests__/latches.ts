/**
 * Ways for core's tests to wait without a wall-clock margin: on an event, on a latch the test
 * releases, on one turn of the event loop (for "not yet" checks of something a latch holds back),
 * or on a fake clock the test advances.
 */
import { vi } from 'vitest';
import type { HostEventMap } from '../events/hostEvents.js';
import type { PluginHost } from '../host/pluginHost.js';
import { deferred } from '../util/deferred.js';
import type { Deferred } from '../util/deferred.js';

/**
 * Settles after one turn of the event loop, once every microtask queued before it has run. Not a
 * delay: use it only to check that something a latch holds back has not happened.
 */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Whether `promise` is still pending after {@link nextTurn}. */
export async function isPending(promise: Promise<unknown>): Promise<boolean> {
  const pending = Symbol('pending');
  const first = await Promise.race([
    promise.then(
      () => undefined,
      () => undefined,
    ),
    nextTurn().then(() => pending),
  ]);
  return first === pending;
}

/** The payload of the next `event` the host emits. */
export function nextEvent<E extends keyof HostEventMap>(host: PluginHost, event: E): Promise<HostEventMap[E]> {
  return new Promise((resolve) => {
    const off = host.on(event, (payload) => {
      off();
      resolve(payload);
    });
  });
}

/** A fake clock, from {@link fakeClock}. */
export interface FakeClock extends Disposable {
  /** Fake milliseconds since the clock was made. */
  now(): number;
  /** Fires the timers due within `ms` fake milliseconds (and the microtasks they queue). */
  advance(ms: number): Promise<void>;
  /**
   * Fires timers one at a time, each after the microtasks before it ran, until `promise` settles;
   * fails when no timer is left to fire (the promise would never settle).
   */
  runUntilSettled(promise: Promise<unknown>): Promise<void>;
}

/**
 * Fakes `setTimeout`, `setInterval` and `Date` until disposed (`using clock = fakeClock()`):
 * deadlines fire when the test advances the clock, never because the machine was slow.
 * `setImmediate`, `queueMicrotask` and I/O stay real.
 */
export function fakeClock(): FakeClock {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  const start = Date.now();
  return {
    now: () => Date.now() - start,
    advance: async (ms) => {
      await vi.advanceTimersByTimeAsync(ms);
    },
    async runUntilSettled(promise) {
      while (await isPending(promise)) {
        if (vi.getTimerCount() === 0) throw new Error('nothing left to fire, yet the promise is pending');
        await vi.advanceTimersToNextTimerAsync();
      }
    },
    [Symbol.dispose]: () => void vi.useRealTimers(),
  };
}

/** The next call {@link CallHolds.holdNext} holds back. */
export interface HeldCall {
  /** Settles once a call took the hold: it has started and waits. */
  readonly entered: Promise<void>;
  /** Lets the held call finish. */
  release(): void;
}

/**
 * Holds calls back on request (pass `take` as `holdCalls` of the test plugin): after `holdNext()`,
 * the next call that starts waits until the test releases it; other calls run through.
 */
export class CallHolds {
  #next: { readonly entered: Deferred<void>; readonly gate: Deferred<void> } | undefined;

  holdNext(): HeldCall {
    const next = { entered: deferred(), gate: deferred() };
    this.#next = next;
    return {
      entered: next.entered.promise,
      release: () => {
        next.gate.resolve();
      },
    };
  }

  /** What a starting call awaits: the pending hold (taken once), or nothing. */
  readonly take = (): Promise<void> | undefined => {
    const next = this.#next;
    this.#next = undefined;
    next?.entered.resolve();
    return next?.gate.promise;
  };
}
