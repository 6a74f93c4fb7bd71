import type { RuntimeLeftover } from '../loader/bundle/pluginRuntime.js';
import type { CompatReport } from '../compat/compatReport.js';
import type { CompatSampleSource } from '../dispatch/dispatcherOptions.js';
import type { HandoffRecord } from '../dispatch/reloadOutcome.js';
import type { PluginTransition } from '../events/hostEvents.js';

/** Per-reload settings (each defaults to the host's). */
export interface ReloadOptions {
  /** Aborts the reload before commit; it then rolls back with `ABORTED`. */
  readonly signal?: AbortSignal;
  /** Milliseconds in-flight calls on stateful resources may take to drain. */
  readonly drainTimeoutMs?: number;
  /** Milliseconds each provider call of a handoff may take. */
  readonly stepTimeoutMs?: number;
  /** Milliseconds each provider call that prepares a handoff before the pause may take. */
  readonly prepareTimeoutMs?: number;
  /** Milliseconds the compat check of one surface may take. */
  readonly compatTimeoutMs?: number;
  /** Milliseconds `register()` may take. */
  readonly registerTimeoutMs?: number;
  /** Handoffs running at once. */
  readonly concurrency?: number;
  /** More operation sequences for compat checks. */
  readonly samples?: CompatSampleSource;
  /** Allow a version older than the serving one (else the reload is refused with `VERSION_ORDER`). */
  readonly allowDowngrade?: boolean;
  /** Allow the version that serves (else the reload is refused with `VERSION_ORDER`). */
  readonly allowSameVersion?: boolean;
}

/** Timings of a successful reload, in milliseconds. */
export interface ReloadTimings {
  readonly stageMs: number;
  readonly compatMs: number;
  /** Preparing handoffs before the pause (snapshots, opens on the new provider); callers keep running. */
  readonly prepareMs: number;
  /**
   * The pre-copy round right before the pause (each prepared handoff's `refresh`: a CRDT merges
   * what changed since its snapshot); 0 when nothing prepared has one. Callers keep running.
   */
  readonly refreshMs: number;
  readonly drainMs: number;
  readonly dispatchMs: number;
  /** Gate closed → opened: how long calls on stateful resources waited at most. */
  readonly pauseMs: number;
  readonly totalMs: number;
}

/** What the old versions' retirement did. */
export interface RetireReport {
  readonly ms: number;
  /** Old resources or scopes that failed to close (the new versions serve regardless). */
  readonly errors: readonly unknown[];
  /**
   * Timers and `process` listeners the retired versions' code still held (bundled versions only;
   * see `loadPluginVersion`): cleared at retire, since they would keep the old code in memory and
   * running. Each is also a `leftovers` event.
   */
  readonly leftovers: readonly RetiredLeftover[];
}

/** One thing a retired version's code still held, and which version it was. */
export interface RetiredLeftover extends RuntimeLeftover {
  readonly plugin: string;
  readonly version: string;
}

/** The result of a committed reload. */
export interface ReloadResult {
  readonly reloadId: number;
  readonly plugins: readonly PluginTransition[];
  readonly compat: ReadonlyMap<string, CompatReport>;
  readonly handoffs: readonly HandoffRecord[];
  readonly timings: ReloadTimings;
  /** Calls that waited at the gates, and the longest wait in milliseconds. */
  readonly queued: number;
  readonly maxQueueWaitMs: number;
  /**
   * Settles once the handoffs' after-commit steps ran (e.g. durable copies) and the old versions'
   * in-flight calls finished and their resources and scopes were released. Never rejects: failures
   * are in its `errors`.
   */
  readonly retired: Promise<RetireReport>;
}
