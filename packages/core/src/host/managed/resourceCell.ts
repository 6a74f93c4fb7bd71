import type { KindDiscipline } from '../../disciplines/discipline.js';
import type { ReloadError } from '../../errors/reloadError.js';
import type { MaybePromise } from '../../util/maybePromise.js';
import { settleThenRelease } from '../../util/settle.js';
import { LeaseCounter } from '../leaseCounter.js';
import type { PluginSlot } from '../pluginSlot.js';
import type { PluginVersion } from '../pluginVersion.js';

/** What currently backs a managed resource: the live resource, its provider and its version. */
export interface Backing<R = unknown> {
  readonly value: R;
  readonly provider: unknown;
  readonly version: PluginVersion;
  /** Uses of this backing in flight (the old backing is released when they reach zero). */
  readonly leases: LeaseCounter;
  /** Releases one use (allocated once per backing, so a call allocates no closure). */
  readonly release: () => void;
  /** Releases one use and its gated-operation count. */
  readonly releaseGated: () => void;
}

/** Makes a backing for `value` in `slot`. */
function makeBacking<R>(slot: PluginSlot, value: R, provider: unknown, version: PluginVersion): Backing<R> {
  const leases = new LeaseCounter();
  return {
    value,
    provider,
    version,
    leases,
    release: () => leases.release(),
    releaseGated: () => {
      leases.release();
      slot.gated.release();
    },
  };
}

/**
 * The host-side cell behind a managed handle. Callers keep the handle; a reload swings the cell to
 * the resource the new version reopened. Every use goes through {@link ResourceCell.use}: exclusive
 * kinds wait at the plugin's gate during a pause; every kind counts its in-flight uses per backing.
 */
export class ResourceCell<R = unknown> {
  backing: Backing<R>;
  /** Why the cell no longer serves (closed, or a rollback could not restore it). */
  fault: ReloadError | undefined;
  /** Checkpoint LSNs taken when the cell was closed (CDC streams), however it was closed. */
  closeCheckpoints: readonly bigint[] = [];

  constructor(
    readonly kind: string,
    readonly name: string,
    /** Registry key of the provider kind this resource was made by. */
    readonly key: string,
    readonly slot: PluginSlot,
    readonly discipline: KindDiscipline,
    backing: { readonly value: R; readonly provider: unknown; readonly version: PluginVersion },
    /** Kind-specific handoff parameters, read when a reload hands the resource over. */
    readonly handoffParams: () => Readonly<Record<string, unknown>> = () => ({}),
  ) {
    this.backing = makeBacking(slot, backing.value, backing.provider, backing.version);
  }

  /**
   * Runs `fn` on the current backing. Exclusive kinds wait at the plugin's gate while it is closed;
   * with the gate open (the common case) nothing is awaited before `fn` runs. `arg` is passed on to
   * `fn`, so a hot path can use a function made once instead of a closure per call.
   */
  use<T, A = undefined>(
    fn: (value: R, provider: unknown, version: PluginVersion, arg: A) => MaybePromise<T>,
    signal?: AbortSignal,
    arg?: A,
  ): Promise<T> {
    if (this.fault) return Promise.reject(this.fault);
    const gated = this.discipline.exclusive;
    if (gated && !this.slot.gate.isOpen) return this.#useAfterGate(fn, signal, arg as A);
    if (gated) this.slot.gated.acquire();
    return this.#run(fn, gated, arg as A);
  }

  async #useAfterGate<T, A>(
    fn: (value: R, provider: unknown, version: PluginVersion, arg: A) => MaybePromise<T>,
    signal: AbortSignal | undefined,
    arg: A,
  ): Promise<T> {
    await this.slot.enterGated(signal);
    const fault = this.fault; // may have been set while waiting
    if (fault) {
      this.slot.gated.release();
      throw fault;
    }
    return this.#run(fn, true, arg);
  }

  #run<T, A>(
    fn: (value: R, provider: unknown, version: PluginVersion, arg: A) => MaybePromise<T>,
    gated: boolean,
    arg: A,
  ): Promise<T> {
    const backing = this.backing;
    backing.leases.acquire();
    const release = gated ? backing.releaseGated : backing.release;
    let result: MaybePromise<T>;
    try {
      result = fn(backing.value, backing.provider, backing.version, arg);
    } catch (error) {
      release();
      return Promise.reject(error);
    }
    return settleThenRelease(result, release);
  }

  /** Points the cell at a new resource; returns the previous backing (to release once idle). */
  swap(value: R, provider: unknown, version: PluginVersion): Backing<R> {
    const previous = this.backing;
    this.backing = makeBacking(this.slot, value, provider, version);
    return previous;
  }

  /** Marks the cell as no longer serving; later uses throw `fault`. */
  stop(fault: ReloadError): void {
    this.fault ??= fault;
  }
}
