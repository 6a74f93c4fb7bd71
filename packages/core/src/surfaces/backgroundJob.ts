import type { MaybePromise } from '../util/maybePromise.js';

/** What one tick of a background job receives. */
export interface JobTickContext {
  /** Aborted when the host stops the job (unload, host close). A tick should return soon after. */
  readonly signal: AbortSignal;
  /** 1 for the first tick run by the host for this job name, then 2, 3, … across versions. */
  readonly tick: number;
  /** Version of the plugin running this tick. */
  readonly version: string;
}

/**
 * A periodic background job. Registered under its `name`.
 *
 * Reload discipline: clean. A tick that is running finishes on the old version; the next tick
 * resolves the job anew and runs on the new version.
 */
export interface BackgroundJobProvider {
  /** The job's name (registry key). */
  readonly name: string;
  /** Milliseconds between the end of one tick and the start of the next. */
  readonly intervalMs: number;
  tick(context: JobTickContext): MaybePromise<void>;
}
