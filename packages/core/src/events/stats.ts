import type { HandoffRecord } from '../dispatch/reloadOutcome.js';

/** Handoff timings of one surface kind. */
export interface KindHandoffStats {
  readonly count: number;
  readonly totalMs: number;
  readonly maxMs: number;
  readonly lastMs: number;
}

/** What a host knows about one plugin's reloads. */
export interface PluginStats {
  readonly plugin: string;
  readonly version: string;
  readonly reloadsOk: number;
  readonly reloadsFailed: number;
  readonly lastDrainMs: number;
  readonly maxDrainMs: number;
  /** Milliseconds the plugin's gate was closed in the last reload (quiesce → commit or rollback). */
  readonly lastPauseMs: number;
  readonly maxPauseMs: number;
  /** Calls that waited at the gate during the last reload, and the longest wait. */
  readonly lastQueued: number;
  readonly lastMaxQueueWaitMs: number;
  readonly handoffs: Readonly<Record<string, KindHandoffStats>>;
  readonly lastError:
    { readonly code: string; readonly phase: string | undefined; readonly message: string } | undefined;
  /**
   * Calls made on the serving version so far (`host.call`, `SurfaceRef.call`, job ticks), a held
   * lease counting once: it starts at 0 with each version.
   */
  readonly calls: number;
}

/** The stats of a freshly loaded plugin. */
export function initialStats(plugin: string, version: string): PluginStats {
  return {
    plugin,
    version,
    reloadsOk: 0,
    reloadsFailed: 0,
    lastDrainMs: 0,
    maxDrainMs: 0,
    lastPauseMs: 0,
    maxPauseMs: 0,
    lastQueued: 0,
    lastMaxQueueWaitMs: 0,
    handoffs: {},
    lastError: undefined,
    calls: 0,
  };
}

/** One reload's effect on a plugin's stats. */
export type StatsEvent =
  | {
      readonly type: 'committed';
      readonly version: string;
      readonly drainMs: number;
      readonly pauseMs: number;
      readonly queued: number;
      readonly maxQueueWaitMs: number;
      readonly handoffs: readonly HandoffRecord[];
    }
  | {
      readonly type: 'rolledBack';
      readonly drainMs: number;
      readonly pauseMs: number;
      readonly queued: number;
      readonly maxQueueWaitMs: number;
      readonly error: { readonly code: string; readonly phase: string | undefined; readonly message: string };
    };

/** The stats reducer: every change to a plugin's stats goes through here. */
export function reduceStats(stats: PluginStats, event: StatsEvent): PluginStats {
  const timing = {
    lastDrainMs: event.drainMs,
    maxDrainMs: Math.max(stats.maxDrainMs, event.drainMs),
    lastPauseMs: event.pauseMs,
    maxPauseMs: Math.max(stats.maxPauseMs, event.pauseMs),
    lastQueued: event.queued,
    lastMaxQueueWaitMs: event.maxQueueWaitMs,
  };
  switch (event.type) {
    case 'committed': {
      const handoffs: Record<string, KindHandoffStats> = { ...stats.handoffs };
      for (const { kind, ms } of event.handoffs) {
        const prev = handoffs[kind] ?? { count: 0, totalMs: 0, maxMs: 0, lastMs: 0 };
        handoffs[kind] = {
          count: prev.count + 1,
          totalMs: prev.totalMs + ms,
          maxMs: Math.max(prev.maxMs, ms),
          lastMs: ms,
        };
      }
      return { ...stats, ...timing, version: event.version, reloadsOk: stats.reloadsOk + 1, handoffs };
    }
    case 'rolledBack':
      return { ...stats, ...timing, reloadsFailed: stats.reloadsFailed + 1, lastError: event.error };
  }
}
