import { setTimeout as delay } from 'node:timers/promises';
import { Random } from '../engine/random.js';

/** A clock in milliseconds (the demo's recorder). */
export interface Clock {
  now(): number;
}

/**
 * Paces one client at `ratePerSec` operations per second, arriving as a Poisson process (random
 * gaps, exponentially distributed, drawn from `seed`), the way independent users arrive.
 *
 * {@link next} waits for the next operation's due time and returns it. The client measures its
 * latency from that due time, not from when it got round to starting: when a call stalls (at a
 * reload's gate, say), the calls due behind it count the stall too, instead of being silently
 * postponed (what Gil Tene calls coordinated omission). A client that falls behind starts its next
 * operation at once and never skips one, so a rate the engine cannot sustain shows as rising latency.
 */
export class Pacer {
  readonly #random: Random;
  readonly #meanGapMs: number;
  #due: number;

  constructor(
    private readonly clock: Clock,
    ratePerSec: number,
    seed: number,
  ) {
    if (!(Number.isFinite(ratePerSec) && ratePerSec > 0))
      throw new RangeError(`a client's rate must be a positive number of operations per second (got ${ratePerSec})`);
    this.#random = new Random(seed);
    this.#meanGapMs = 1000 / ratePerSec;
    this.#due = clock.now() + this.#gap();
  }

  /** An exponentially distributed gap with the configured mean. */
  #gap(): number {
    return -Math.log(1 - this.#random.next()) * this.#meanGapMs;
  }

  /**
   * Waits until the next operation is due (not at all when the client is behind) and returns its
   * due time on the clock. Rejects with the abort reason when `signal` aborts while waiting.
   */
  async next(signal?: AbortSignal): Promise<number> {
    const due = this.#due;
    this.#due += this.#gap();
    // A timer may fire up to a millisecond before the clock says it is due: wait out the rest.
    for (let wait = due - this.clock.now(); wait > 0; wait = due - this.clock.now())
      await delay(wait, undefined, signal ? { signal } : {});
    return due;
  }
}
