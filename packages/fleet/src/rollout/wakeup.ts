import { setTimeout as delay } from 'node:timers/promises';

/**
 * Where a rollout's runner waits: until a notification about the rollout arrives (`notify`), a
 * timeout passes, or the signal aborts (then it rejects with the signal's reason). A notification
 * that arrives while the runner is busy is kept, so the next wait returns at once.
 */
export class Wakeup {
  #pending = false;
  #wake: (() => void) | undefined;

  /** Wakes the waiting runner, or the next wait. */
  notify(): void {
    this.#pending = true;
    this.#wake?.();
  }

  /** Waits for a notification, `ms` milliseconds, or `signal`. */
  async wait(ms: number, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    if (!this.#pending) {
      const woken = new AbortController();
      this.#wake = () => {
        woken.abort();
      };
      try {
        await delay(ms, undefined, { signal: AbortSignal.any([signal, woken.signal]) });
      } catch (error) {
        signal.throwIfAborted();
        if (!woken.signal.aborted) throw error;
      } finally {
        this.#wake = undefined;
      }
    }
    this.#pending = false;
  }
}

/** Sleeps `ms` milliseconds, or rejects with the signal's reason when it aborts first. */
export async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, { signal });
  } catch (error) {
    signal.throwIfAborted();
    throw error;
  }
}
