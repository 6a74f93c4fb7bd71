import type { KindDiscipline } from '../../disciplines/discipline.js';
import type { ReloadError } from '../../errors/reloadError.js';
import type { MaybePromise } from '../../util/maybePromise.js';
import { isPromiseLike } from '../../util/maybePromise.js';
import { RESOLVED_VOID, settleThenRelease } from '../../util/settle.js';
import { LeaseCounter } from '../leaseCounter.js';
import { providerError } from './providerError.js';
import type { ProviderCallSite } from './providerError.js';
import type { CellOwner } from './cellOwner.js';
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
function makeBacking<R>(slot: CellOwner, value: R, provider: unknown, version: PluginVersion): Backing<R> {
  const leases = new LeaseCounter();
  return {
    value,
    provider,
    version,
    leases,
    release: () => {
      leases.release();
    },
    releaseGated: () => {
      leases.release();
      slot.gated.release();
    },
  };
}

/**
 * The host-side cell behind a managed handle. Callers keep the handle; a reload swings the cell to
 * the resource the new version reopened. Every use goes through {@link ResourceCell.use}: kinds that pause callers
 * kinds wait at the plugin's gate during a pause; every kind counts its in-flight uses per backing.
 */
export class ResourceCell<R = unknown> {
  backing: Backing<R>;
  /** Why the cell no longer serves (closed, or a rollback could not restore it). */
  fault: ReloadError | undefined;
  /** Checkpoint LSNs taken when the cell was closed (CDC streams), however it was closed. */
  closeCheckpoints: readonly bigint[] = [];
  /** Whether uses wait at the plugin's gate (the discipline's `pausesCallers`, read once). */
  readonly #gated: boolean;

  constructor(
    readonly kind: string,
    readonly name: string,
    /** Registry key of the provider kind this resource was made by. */
    readonly key: string,
    readonly slot: CellOwner,
    readonly discipline: KindDiscipline,
    backing: { readonly value: R; readonly provider: unknown; readonly version: PluginVersion },
    /** Kind-specific handoff parameters, read when a reload hands the resource over. */
    readonly handoffParams: () => Readonly<Record<string, unknown>> = () => ({}),
  ) {
    this.backing = makeBacking(slot, backing.value, backing.provider, backing.version);
    this.#gated = discipline.pausesCallers;
  }

  /**
   * Runs `fn` on the current backing. Exclusive kinds wait at the plugin's gate while it is closed;
   * with the gate open (the common case) nothing is awaited before `fn` runs. `arg` is passed on to
   * `fn`, so a hot path can use a function made once instead of a closure per call.
   *
   * A use that returns a promise is counted (per backing, and for kinds that pause callers in the plugin's
   * gated count) from the moment `fn` returns until the promise settles: what a reload's drain and
   * the release of an old backing wait for. A use that returns synchronously is not counted: it
   * starts and ends within one synchronous stretch, in which no drain, swap or close can happen
   * (each of those is asynchronous), so counting it would change nothing anybody can observe.
   *
   * With `step`, `fn` is a call of the provider's own code on the caller's behalf (`probe`, `apply`,
   * …): what it throws or rejects with reaches the caller through {@link providerError} (the host
   * assigns the code). Without it, `fn` is the caller's own function and its errors pass unchanged.
   * `admitted`: the call was accepted earlier (a handle queued it and counted it at the gate), so a
   * full queue does not refuse it now.
   */
  use<T, A = undefined>(
    fn: (value: R, provider: unknown, version: PluginVersion, arg: A) => MaybePromise<T>,
    signal?: AbortSignal,
    arg?: A,
    step?: string,
    admitted = false,
  ): Promise<T> {
    let result: MaybePromise<T>;
    try {
      result = this.useMaybe(fn, signal, arg, step, admitted);
    } catch (error) {
      return Promise.reject(error);
    }
    if (result === undefined) return RESOLVED_VOID as Promise<T>;
    return result instanceof Promise ? (result as Promise<T>) : Promise.resolve(result);
  }

  /**
   * {@link ResourceCell.use} without wrapping a synchronous outcome: returns `fn`'s value itself when
   * it ran at once and returned one, and throws what it threw. For hot paths that keep their own
   * order of calls (a CDC stream's deliveries) and need to know whether anything is still running.
   */
  useMaybe<T, A = undefined>(
    fn: (value: R, provider: unknown, version: PluginVersion, arg: A) => MaybePromise<T>,
    signal?: AbortSignal,
    arg?: A,
    step?: string,
    admitted = false,
  ): MaybePromise<T> {
    if (this.fault !== undefined) throw this.fault;
    if (this.#gated && !this.slot.gate.isOpen) return this.#useAfterGate(fn, signal, arg as A, step, admitted);
    return this.#run(fn, arg as A, false, step);
  }

  async #useAfterGate<T, A>(
    fn: (value: R, provider: unknown, version: PluginVersion, arg: A) => MaybePromise<T>,
    signal: AbortSignal | undefined,
    arg: A,
    step: string | undefined,
    admitted: boolean,
  ): Promise<T> {
    // Counted in the gated operations from the turn the gate is found open (a reload closing it
    // before this resumes waits for it), so the use runs before any later pause.
    await this.slot.enterGated(signal, admitted);
    const fault = this.fault; // may have been set while waiting
    if (fault) {
      this.slot.gated.release();
      throw fault;
    }
    return this.#run(fn, arg, true, step);
  }

  /**
   * Runs `fn`; `entered` says the caller already counted it in the plugin's gated operations. A
   * synchronous outcome is returned (or thrown) as it is; a promise is counted until it settles.
   */
  #run<T, A>(
    fn: (value: R, provider: unknown, version: PluginVersion, arg: A) => MaybePromise<T>,
    arg: A,
    entered: boolean,
    step: string | undefined,
  ): MaybePromise<T> {
    const backing = this.backing;
    let result: MaybePromise<T>;
    try {
      result = fn(backing.value, backing.provider, backing.version, arg);
    } catch (error) {
      if (entered) this.slot.gated.release();
      throw step === undefined ? error : providerError(this.#site(backing), step, error);
    }
    if (!isPromiseLike(result)) {
      if (entered) this.slot.gated.release();
      return result;
    }
    if (step !== undefined) {
      const site = this.#site(backing);
      result = Promise.resolve(result).then(undefined, (error: unknown) => {
        throw providerError(site, step, error);
      });
    }
    backing.leases.acquire();
    if (!this.#gated) return settleThenRelease(result, backing.release);
    if (!entered) this.slot.gated.acquire();
    return settleThenRelease(result, backing.releaseGated);
  }

  /** Where a provider call on `backing` happens, for {@link providerError}. */
  #site(backing: Backing<R>): ProviderCallSite {
    return { kind: this.kind, name: this.name, plugin: this.slot.name, version: backing.version.version };
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
