import { setImmediate as nextTurn } from 'node:timers/promises';
import type { ReloadError } from '@baton/core';
import type { BackgroundJobProvider, JobTickContext, MaybePromise } from '@baton/core';
import { checkIntervalMs, invalidJobOption } from './jobOptions.js';
import type { MemoryStoreLike } from './memoryStore.js';

/** Size of one storage location. */
export interface LocationStats {
  readonly location: string;
  readonly keys: number;
  readonly bytes: number;
}

/** What one tick of {@link storageStatsJob} measured. */
export interface StorageStatsReport {
  /** The host's tick number and the plugin version that ran it. */
  readonly tick: number;
  readonly version: string;
  readonly locations: readonly LocationStats[];
  /** Totals over every location. */
  readonly keys: number;
  readonly bytes: number;
}

/** Options of {@link storageStatsJob}. */
export interface StorageStatsJobOptions {
  /** The job's name (registry key, default `storage-stats`). */
  readonly name?: string;
  /** The host-owned store to measure. */
  readonly store: MemoryStoreLike;
  /** Milliseconds between ticks (default 60 000). */
  readonly intervalMs?: number;
  /** Entries counted between two yields to the event loop (default 10 000). */
  readonly sliceSize?: number;
  /** Receives each complete report (not called for a tick that was aborted). */
  readonly onReport: (report: StorageStatsReport) => MaybePromise<void>;
}

/**
 * A periodic metrics job: counts keys and value bytes of every location of a {@link MemoryStore}.
 * It works in slices of `sliceSize` entries and yields to the event loop between them, checking
 * `ctx.signal` each time: when the host stops the job (unload, host close) the tick returns at the
 * next slice without reporting. Clean reload: a running tick finishes on the old version.
 */
export function storageStatsJob(options: StorageStatsJobOptions): BackgroundJobProvider {
  const name = options.name ?? 'storage-stats';
  const intervalMs = options.intervalMs ?? 60_000;
  const sliceSize = options.sliceSize ?? 10_000;
  const fail = (message: string): ReloadError => invalidJobOption(name, message);
  if (typeof options.store?.location !== 'function') throw fail('store must be a host-owned MemoryStore');
  if (typeof options.onReport !== 'function') throw fail('onReport must be a function');
  checkIntervalMs(name, intervalMs);
  if (!(Number.isSafeInteger(sliceSize) && sliceSize > 0))
    throw fail(`sliceSize must be a positive integer (got ${String(sliceSize)})`);
  const { store, onReport } = options;
  return {
    name,
    intervalMs,
    async tick({ signal, tick, version }: JobTickContext): Promise<void> {
      const locations: LocationStats[] = [];
      let budget = sliceSize;
      for (const location of store.locations()) {
        let keys = 0;
        let bytes = 0;
        for (const value of store.location(location).entries.values()) {
          keys++;
          bytes += value.byteLength;
          if (--budget === 0) {
            budget = sliceSize;
            await nextTurn();
            if (signal.aborted) return;
          }
        }
        locations.push({ location, keys, bytes });
      }
      if (signal.aborted) return;
      const totals = locations.reduce((sum, l) => ({ keys: sum.keys + l.keys, bytes: sum.bytes + l.bytes }), {
        keys: 0,
        bytes: 0,
      });
      await onReport({ tick, version, locations, ...totals });
    },
  };
}
