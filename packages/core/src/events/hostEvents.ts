import type { CompatReport } from '../compat/compatReport.js';
import type { HandoffRecord } from '../dispatch/reloadOutcome.js';
import type { ReloadPhase } from '../errors/codes.js';
import type { ReloadError } from '../errors/reloadError.js';
import type { RuntimeLeftover } from '../loader/bundle/pluginRuntime.js';

/** One plugin's move in a reload. */
export interface PluginTransition {
  readonly name: string;
  readonly from: string;
  readonly to: string;
}

/** Fields every reload event carries. */
export interface ReloadEventBase {
  /** Unique, increasing id of the reload within the host. */
  readonly reloadId: number;
  readonly plugins: readonly PluginTransition[];
  /** Milliseconds since the reload started. */
  readonly elapsedMs: number;
}

/** Every event a host emits, by name. */
export interface HostEventMap {
  /** A plugin was loaded (its surfaces are visible). */
  loaded: { readonly plugin: string; readonly version: string; readonly epoch: number; readonly ms: number };
  /** A plugin was unloaded (its surfaces are gone and its scope disposed). */
  unloaded: { readonly plugin: string; readonly version: string };
  /** A reload began (validation passed). */
  started: ReloadEventBase;
  /** Every compat check passed, before anything paused. */
  compatChecked: ReloadEventBase & { readonly reports: ReadonlyMap<string, CompatReport>; readonly compatMs: number };
  /**
   * Handoffs that can be prepared were, while the old versions served (snapshots opened on the new
   * providers); what remains runs inside the pause. Emitted even when nothing was prepared.
   */
  prepared: ReloadEventBase & { readonly prepareMs: number; readonly handoffs: readonly HandoffRecord[] };
  /** The gates closed: new calls on stateful resources wait from here on. */
  quiesced: ReloadEventBase;
  /** In-flight calls on stateful resources finished. */
  drained: ReloadEventBase & { readonly drainMs: number };
  /** Every live resource was handed over. */
  dispatched: ReloadEventBase & { readonly dispatchMs: number; readonly handoffs: readonly HandoffRecord[] };
  /** The new versions are visible; waiting calls proceed on them. */
  committed: ReloadEventBase & { readonly pauseMs: number; readonly queued: number; readonly maxQueueWaitMs: number };
  /** The reload failed; the old versions serve with their resources intact. */
  rolledBack: ReloadEventBase & { readonly phase: ReloadPhase; readonly error: ReloadError; readonly pauseMs: number };
  /**
   * The old versions were released after their last in-flight call; `errors` are the old resources
   * or scopes that failed to close (as in `RetireReport`).
   */
  retired: ReloadEventBase & { readonly errors: readonly unknown[] };
  /** A call that waited at a plugin's gate during a pause was released (once per call). */
  queueWait: { readonly plugin: string; readonly waitedMs: number };
  /** A background job tick threw; the job keeps its schedule. */
  jobFailed: { readonly plugin: string; readonly job: string; readonly version: string; readonly error: unknown };
  /**
   * A bundled plugin version was retired or discarded while its code still held timers or `process`
   * listeners (they would keep it in memory, or running): they were cleared, and this says which.
   */
  leftovers: { readonly plugin: string; readonly version: string; readonly leftovers: readonly RuntimeLeftover[] };
  /** A listener threw; Baton carried on. */
  listenerError: { readonly event: string; readonly error: unknown };
}

/** A listener of event `E`. */
export type HostListener<E extends keyof HostEventMap> = (event: HostEventMap[E]) => void;

/**
 * A small typed event emitter. Listeners run synchronously in registration order; a listener that
 * throws is reported as `listenerError` (never breaking the reload that emitted).
 */
export class HostEvents {
  readonly #listeners = new Map<keyof HostEventMap, Set<(event: never) => void>>();

  /** Adds a listener; returns the function that removes it. */
  on<E extends keyof HostEventMap>(event: E, listener: HostListener<E>): () => void {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => void set.delete(listener);
  }

  /** Whether `event` has listeners (lets emitters skip building a payload). */
  has(event: keyof HostEventMap): boolean {
    return (this.#listeners.get(event)?.size ?? 0) > 0;
  }

  emit<E extends keyof HostEventMap>(event: E, payload: HostEventMap[E]): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as HostListener<E>)(payload);
      } catch (error) {
        if (event !== 'listenerError') this.emit('listenerError', { event, error });
      }
    }
  }
}
