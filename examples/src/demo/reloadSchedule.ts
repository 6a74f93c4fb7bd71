import { isReloadError } from '@baton/core';
import type { PluginDefinition, PluginHost, ReloadError, ReloadResult } from '@baton/core';
import type { Progress } from './progress.js';
import type { Recorder } from './recorder.js';

/** One attempted reload and what came of it. */
export interface Attempt {
  readonly label: string;
  /** When the schedule meant it to start (ms since the run started). */
  readonly dueMs: number;
  /** When it started: its artifact loaded and verified from then on. */
  readonly atMs: number;
  readonly result?: ReloadResult;
  readonly error?: ReloadError;
  /** Whether the plugin's gate closed during the attempt (a refused reload must not pause). */
  readonly paused: boolean;
  readonly queueWaitsMs: readonly number[];
  /** When the reload itself started, after its artifact was verified and imported (ms since the run started). */
  readonly startedAtMs?: number;
  /** When it committed. */
  readonly committedAtMs?: number;
  /** When it ended, committed or refused. */
  readonly endedAtMs: number;
  /** When the gate was closed (quiesced) and opened again (committed or rolled back), if it closed. */
  readonly pause?: { readonly fromMs: number; readonly toMs: number };
}

/**
 * Tries reloads on a host while it serves, recording for each whether it committed or was refused,
 * whether anything paused, and how long calls waited at the gate.
 */
export class ReloadSchedule {
  readonly attempts: Attempt[] = [];
  #paused = false;
  #pauseFrom: number | undefined;
  #pauseTo: number | undefined;
  #waits: number[] = [];
  #startedAt: number | undefined;
  #committedAt: number | undefined;

  constructor(
    private readonly host: PluginHost,
    private readonly recorder: Recorder,
    private readonly progress: Progress,
  ) {
    host.on('quiesced', () => {
      this.#paused = true;
      this.#pauseFrom = recorder.now();
    });
    host.on('queueWait', (e) => this.#waits.push(e.waitedMs));
    host.on('started', () => (this.#startedAt = recorder.now()));
    host.on('committed', () => (this.#committedAt = this.#pauseTo = recorder.now()));
    host.on('rolledBack', () => (this.#pauseTo = recorder.now()));
  }

  /** The gate's closed window of the attempt now ending, if it closed. */
  #pause(): Pick<Attempt, 'pause'> {
    if (this.#pauseFrom === undefined || this.#pauseTo === undefined) return {};
    return { pause: { fromMs: this.#pauseFrom, toMs: this.#pauseTo } };
  }

  /** Loads the artifact (verification included) and reloads to it; a refusal is recorded, not thrown. */
  async attempt(label: string, dueMs: number, load: () => Promise<PluginDefinition>): Promise<void> {
    this.#paused = false;
    this.#pauseFrom = this.#pauseTo = undefined;
    this.#waits = [];
    this.#startedAt = undefined;
    this.#committedAt = undefined;
    const atMs = this.recorder.now();
    try {
      const result = await this.host.reload(await load());
      this.attempts.push({
        label,
        dueMs,
        atMs,
        endedAtMs: this.recorder.now(),
        result,
        ...this.#pause(),
        paused: this.#paused,
        queueWaitsMs: this.#waits,
        // Set by the listeners during the reload (the compiler sees only the reset above).
        /* eslint-disable @typescript-eslint/no-unnecessary-condition */
        ...(this.#startedAt === undefined ? {} : { startedAtMs: this.#startedAt }),
        ...(this.#committedAt === undefined ? {} : { committedAtMs: this.#committedAt }),
        /* eslint-enable @typescript-eslint/no-unnecessary-condition */
      });
      this.progress.say(
        `  ${label}: committed in ${result.timings.totalMs.toFixed(1)} ms (pause ${result.timings.pauseMs.toFixed(1)} ms)`,
      );
    } catch (error) {
      if (!isReloadError(error)) throw error;
      this.attempts.push({
        label,
        dueMs,
        atMs,
        endedAtMs: this.recorder.now(),
        error,
        paused: this.#paused,
        queueWaitsMs: this.#waits,
        ...this.#pause(),
      });
      this.progress.say(`  ${label}: refused — ${error.code} at ${error.phase ?? '?'}`);
    }
  }
}
