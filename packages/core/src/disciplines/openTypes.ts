import type { MaybePromise } from '../util/maybePromise.js';

/**
 * What a discipline's `open` gets: the resource's name, the caller's abort signal, and a way to run
 * provider calls so that their failures reach the caller as the host's typed errors.
 */
export interface OpenContext {
  readonly kind: string;
  /** The resource's name (unique per kind in a host). */
  readonly name: string;
  /** The caller's signal (aborts the open), if any. */
  readonly signal: AbortSignal | undefined;
  /**
   * Runs one provider call. A throw or rejection becomes a `ReloadError` that names `step`, the
   * kind, the resource and the plugin version; the host, not the provider, picks its code.
   */
  call<T>(step: string, fn: () => MaybePromise<T>): Promise<T>;
}

/** What a discipline's `open` made: the live resource and facts about it. */
export interface OpenedResource<R> {
  readonly resource: R;
  /** Facts for the caller (e.g. `checkpointLsn`: where a CDC stream starts). */
  readonly detail?: Readonly<Record<string, unknown>>;
  /** Handoff parameters this resource keeps for every reload (e.g. a storage's `location`). */
  readonly params?: Readonly<Record<string, unknown>>;
}
