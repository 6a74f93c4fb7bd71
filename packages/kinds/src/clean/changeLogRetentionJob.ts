import type { ReloadError } from '@baton/core';
import type { BackgroundJobProvider, JobTickContext, MaybePromise } from '@baton/core';
import { checkIntervalMs, invalidJobOption } from './jobOptions.js';
import type { ChangeLog } from '../cdc/changeLog.js';

/** Options of {@link changeLogRetentionJob}. */
export interface ChangeLogRetentionJobOptions {
  /** The job's name (registry key, default `change-log-retention`). */
  readonly name?: string;
  /** The host-owned change log to compact. */
  readonly log: Pick<ChangeLog, 'truncateBefore' | 'floorLsn'>;
  /** Milliseconds between ticks (default 10 000). */
  readonly intervalMs?: number;
  /**
   * The LSN every CDC output has made durable (the lowest of their checkpoints), or undefined when
   * one is unknown and nothing may be dropped.
   */
  readonly retainFrom: (signal: AbortSignal) => MaybePromise<bigint | undefined>;
  /** Called after a tick that dropped batches, with how many and the new floor LSN. */
  readonly onTruncate?: (dropped: number, floorLsn: bigint) => void;
}

/**
 * A periodic compaction job: drops change-log batches that every CDC output has checkpointed, so
 * the log holds only what a restarted output may still need. A tick whose signal is aborted (or
 * aborts while `retainFrom` runs) drops nothing. Clean reload: the next tick runs on the new version.
 */
export function changeLogRetentionJob(options: ChangeLogRetentionJobOptions): BackgroundJobProvider {
  const name = options.name ?? 'change-log-retention';
  const intervalMs = options.intervalMs ?? 10_000;
  const fail = (message: string): ReloadError => invalidJobOption(name, message);
  if (typeof options.log?.truncateBefore !== 'function') throw fail('log must be a ChangeLog');
  if (typeof options.retainFrom !== 'function') throw fail('retainFrom must be a function');
  checkIntervalMs(name, intervalMs);
  const { log, retainFrom, onTruncate } = options;
  return {
    name,
    intervalMs,
    async tick({ signal }: JobTickContext): Promise<void> {
      if (signal.aborted) return;
      const lsn = await retainFrom(signal);
      if (signal.aborted || lsn === undefined) return;
      const dropped = log.truncateBefore(lsn);
      if (dropped > 0) onTruncate?.(dropped, log.floorLsn);
    },
  };
}
