import { ReloadError } from '../errors/reloadError.js';
import { onAbort } from '../util/abortFanout.js';
import { abortReason } from '../util/deadline.js';

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
  readonly since: number;
  done: boolean;
}

/** What a gate saw while it was closed. */
export interface PauseStats {
  /** Calls that waited. */
  readonly queued: number;
  /** Longest wait of a call released so far, in milliseconds. */
  readonly maxWaitMs: number;
  /** Milliseconds the gate has been (or was) closed. */
  readonly closedMs: number;
}

/**
 * The gate in front of a plugin's stateful resources. Open: calls pass at once (no allocation).
 * Closed (during a reload's pause): calls wait in a bounded FIFO queue and are released in order
 * when it opens again, onto whichever version is then current.
 */
export class Gate {
  #closedAt: number | undefined;
  #waiters: Waiter[] = [];
  #head = 0;
  #queued = 0;
  #maxWaitMs = 0;
  #lastClosedMs = 0;
  #active = 0;
  #held = 0;

  /**
   * @param limit - Calls that may wait at once; one more fails with `QUEUE_FULL`.
   * @param onReleased - Told how long each released call waited (milliseconds).
   */
  constructor(
    readonly limit: number,
    readonly plugin: string,
    private readonly onReleased?: (waitedMs: number) => void,
  ) {}

  get isOpen(): boolean {
    return this.#closedAt === undefined;
  }

  /** Calls waiting now: at the gate, and queued inside managed handles behind an earlier call. */
  get waiting(): number {
    return this.#active + this.#held;
  }

  /**
   * Counts one call that a managed handle queues behind an earlier call of its own (a CDC stream
   * keeps its deliveries in order) as waiting, so the limit holds for every gated call, not only
   * for the ones at the gate. While the gate is closed and `limit` calls already wait, throws
   * `QUEUE_FULL` instead. Undo with {@link Gate.unhold} when the call leaves the handle's queue.
   */
  hold(): void {
    if (this.#closedAt !== undefined && this.#active + this.#held >= this.limit) throw this.#full();
    this.#held++;
  }

  /** The call counted by {@link Gate.hold} left its handle's queue (it runs, or it failed). */
  unhold(): void {
    this.#held--;
  }

  /** Closes the gate (idempotent). */
  close(): void {
    if (this.#closedAt !== undefined) return;
    this.#closedAt = performance.now();
    this.#queued = 0;
    this.#maxWaitMs = 0;
  }

  /** Opens the gate and releases every waiting call in arrival order. Returns what the pause saw. */
  open(): PauseStats {
    if (this.#closedAt === undefined) return { queued: 0, maxWaitMs: 0, closedMs: this.#lastClosedMs };
    const now = performance.now();
    this.#lastClosedMs = now - this.#closedAt;
    this.#closedAt = undefined;
    const waiters = this.#waiters;
    const head = this.#head;
    this.#waiters = [];
    this.#head = 0;
    for (let i = head; i < waiters.length; i++) {
      const waiter = waiters[i]!;
      if (waiter.done) continue;
      waiter.done = true;
      this.#active--;
      const waited = now - waiter.since;
      this.#maxWaitMs = Math.max(this.#maxWaitMs, waited);
      this.onReleased?.(waited);
      waiter.resolve();
    }
    return { queued: this.#queued, maxWaitMs: this.#maxWaitMs, closedMs: this.#lastClosedMs };
  }

  /**
   * Waits until the gate opens. Rejects with `QUEUE_FULL` when `limit` calls already wait (unless
   * `admitted`: a call a handle accepted earlier, counted by {@link Gate.hold}, keeps its place and is
   * never refused), and with `ABORTED` when `signal` aborts first (the call then leaves the queue).
   */
  wait(signal?: AbortSignal, admitted = false): Promise<void> {
    if (this.#closedAt === undefined) return Promise.resolve();
    if (signal?.aborted) return Promise.reject(this.#aborted(signal));
    if (!admitted && this.#active + this.#held >= this.limit) return Promise.reject(this.#full());
    this.#compact();
    return new Promise<void>((resolve, reject) => {
      let unsubscribe: (() => void) | undefined;
      const waiter: Waiter = {
        resolve: () => {
          unsubscribe?.();
          resolve();
        },
        reject,
        since: performance.now(),
        done: false,
      };
      if (signal) {
        unsubscribe = onAbort(signal, () => {
          if (waiter.done) return;
          waiter.done = true;
          this.#active--;
          reject(this.#aborted(signal));
        });
      }
      this.#waiters.push(waiter);
      this.#active++;
      this.#queued++;
    });
  }

  #full(): ReloadError {
    return new ReloadError({
      code: 'QUEUE_FULL',
      phase: 'call',
      plugin: this.plugin,
      message: `plugin '${this.plugin}' is paused for a reload and ${this.limit} calls already wait; retry shortly`,
    });
  }

  #aborted(signal: AbortSignal): ReloadError {
    return new ReloadError({
      code: 'ABORTED',
      phase: 'call',
      plugin: this.plugin,
      message: `a call waiting for plugin '${this.plugin}' was aborted`,
      cause: abortReason(signal),
    });
  }

  /** Drops aborted waiters from the front so the queue does not grow without bound. */
  #compact(): void {
    while (this.#head < this.#waiters.length && this.#waiters[this.#head]!.done) this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#waiters.length) {
      this.#waiters = this.#waiters.slice(this.#head);
      this.#head = 0;
    }
  }
}
