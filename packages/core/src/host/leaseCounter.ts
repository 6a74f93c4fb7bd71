import { deferred } from '../util/deferred.js';
import type { Deferred } from '../util/deferred.js';

/**
 * Counts in-flight uses of something (a plugin version, a resource, a gate) and tells when none
 * is left. Acquire and release are O(1) and allocate nothing unless somebody waits for idle.
 */
export class LeaseCounter {
  #count = 0;
  #total = 0;
  #idle: Deferred<void> | undefined;

  /** In-flight uses. */
  get count(): number {
    return this.#count;
  }

  /** Uses so far (every acquire). */
  get total(): number {
    return this.#total;
  }

  acquire(): void {
    this.#count++;
    this.#total++;
  }

  release(): void {
    if (this.#count === 0) throw new RangeError('LeaseCounter released more often than acquired');
    if (--this.#count === 0 && this.#idle) {
      const idle = this.#idle;
      this.#idle = undefined;
      idle.resolve();
    }
  }

  /** Resolves when no use is in flight (at once if none is). */
  whenIdle(): Promise<void> {
    if (this.#count === 0) return Promise.resolve();
    return (this.#idle ??= deferred()).promise;
  }
}
