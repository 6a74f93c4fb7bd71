import type { CompatReport } from '../compat/compatReport.js';
import { DisciplineSet } from '../disciplines/disciplineSet.js';
import { ReloadError, toReloadError } from '../errors/reloadError.js';
import { mapBounded } from '../util/boundedMap.js';
import { defaultSettings } from '../settings/settingSpecs.js';
import { CompatChecks } from './compatChecks.js';
import { checkDispatcherOptions, hasMethods } from './dispatcherOptions.js';
import type { ReloadDispatcherOptions } from './dispatcherOptions.js';
import type { RegistrationSet } from './registrationSet.js';
import { ReloadOutcome } from './reloadOutcome.js';
import { PreparedHandoffs } from './preparedHandoffs.js';
import type { HandoffRecord } from './reloadOutcome.js';
import { checkHandoffs, firstFailure, handoffInput } from './resourceHandoff.js';
import type { CheckedHandoff } from './resourceHandoff.js';
import { rollBackAttempts } from './rollback.js';
import type { CompletedHandoff, RollbackReport } from './rollback.js';
import { StepRecorder } from './stepRecorder.js';
import { StepSignal } from './stepSignal.js';

/**
 * What {@link ReloadDispatcher.dispatch} resolves with: the outcome to reattach, or the error and a
 * report of what serves again (every completed handoff was undone).
 */
export type DispatchResult =
  | { readonly ok: true; readonly outcome: ReloadOutcome }
  | {
      readonly ok: false;
      /** Why the dispatch failed (`ROLLBACK_FAILED` when the rollback lost a resource too). */
      readonly error: ReloadError;
      /** What serves again, what was lost, and the CDC checkpoints taken. */
      readonly rollback: RollbackReport;
    };

const NEVER_ABORTED = new AbortController().signal;

/**
 * Runs the handoffs of one plugin reload between drain and commit, transactionally — the path
 * `PluginHost` takes, and a public API for a host with its own lifecycle.
 *
 * Built once per reload over the old version's registrations, the staged new ones and the live
 * resources to hand over (`options.handoffs`). {@link ReloadDispatcher.checkCompat} runs every
 * compat check before anything pauses; {@link ReloadDispatcher.dispatch} hands the resources over
 * in parallel (bounded) and resolves with a {@link DispatchResult}: the {@link ReloadOutcome} to
 * reattach, or — when any handoff failed — the error and what serves again, after every completed
 * handoff was undone in reverse (a CDC stream already stopped is restarted on the old provider at
 * its checkpoint; old index handles were never closed).
 */
export class ReloadDispatcher {
  readonly #options: ReloadDispatcherOptions;
  readonly #disciplines: DisciplineSet;
  readonly #handoffs: readonly CheckedHandoff[];
  readonly #compat: CompatChecks;
  readonly #prepared: PreparedHandoffs;
  #report: Promise<CompatReport> | undefined;
  #preparing = false;
  #dispatched = false;
  /** The steps of one dispatcher share one abort signal until a step is abandoned (see StepContext.call). */
  readonly #shared = new StepSignal();

  constructor(old: RegistrationSet, next: RegistrationSet, options: ReloadDispatcherOptions = {}) {
    for (const [which, set] of [
      ['old', old],
      ['next', next],
    ] as const)
      if (!hasMethods(set, 'get', 'keys', 'kinds'))
        throw new ReloadError({
          code: 'INVALID_ARGUMENT',
          message: `the ${which} registrations must be a RegistrationSet (RegistrationSet.of([...]) or collectRegistrations(plugin))`,
        });
    this.#options = checkDispatcherOptions(options);
    this.#disciplines = this.#options.disciplines ?? DisciplineSet.builtin();
    this.#handoffs = checkHandoffs(this.#disciplines, this.#options.handoffs ?? []);
    this.#compat = new CompatChecks(old, next, this.#disciplines, this.#handoffs, this.#options);
    this.#prepared = new PreparedHandoffs(this.#handoffs, this.#disciplines);
  }

  /** Checks compat of every surface both versions register (once), and returns the report without throwing. */
  inspectCompat(): Promise<CompatReport> {
    return (this.#report ??= this.#compat.report());
  }

  /**
   * Checks compat of every surface both versions register, before anything pauses. Resolves with
   * the report; rejects with `SCHEMA_INCOMPATIBLE` listing every incompatible surface.
   */
  async checkCompat(): Promise<CompatReport> {
    const report = await this.inspectCompat();
    const bad = report.incompatible;
    if (bad.length === 0) return report;
    const first = bad[0]!;
    return Promise.reject(
      new ReloadError({
        code: 'SCHEMA_INCOMPATIBLE',
        phase: 'compat',
        kind: first.kind,
        key: first.key,
        message: `incompatible: ${report
          .toLines()
          .filter((_, i) => report.entries[i]!.status === 'incompatible')
          .join('; ')}`,
        cause: first.error,
        details: { report },
      }),
    );
  }

  /**
   * Optional, after `checkCompat` (which it runs if it has not run) and before the pause: runs the
   * `prepare` step of every handoff whose discipline has one — the O(state) part (snapshots, opens
   * on the new providers) while the old resources keep serving — so that `dispatch` only catches
   * up inside the pause. Resolves with what was prepared. Rejects with `SCHEMA_INCOMPATIBLE`, or
   * with the first failure (phase `prepare`) after discarding everything prepared: nothing paused,
   * the old resources were not disturbed. Without it, `dispatch` hands everything over as before.
   * Call `discardPrepared` if you will not dispatch.
   */
  async prepare(): Promise<readonly HandoffRecord[]> {
    if (this.#preparing || this.#dispatched)
      throw new ReloadError({
        code: 'INVALID_ARGUMENT',
        phase: 'prepare',
        message: 'prepare() may run once per dispatcher, before dispatch()',
      });
    this.#preparing = true;
    const report = await this.checkCompat();
    const timeoutMs = this.#options.prepareTimeoutMs ?? defaultSettings.prepareTimeoutMs;
    await this.#prepared.prepare({
      signal: this.#options.signal ?? NEVER_ABORTED,
      concurrency: this.#options.concurrency ?? defaultSettings.concurrency,
      timeoutMs,
      rollbackTimeoutMs: Math.max(timeoutMs, this.#options.rollbackTimeoutMs ?? defaultSettings.rollbackTimeoutMs),
      shared: this.#shared,
      verdictOf: (h) => this.#compat.verdictFor(h, report),
    });
    return this.#prepared.records;
  }

  /** True when something `prepare` made has a pre-copy round for {@link ReloadDispatcher.refresh}. */
  get refreshable(): boolean {
    return this.#prepared.refreshable;
  }

  /**
   * Optional, after `prepare` and right before the pause (close the gate as soon as it resolves): one
   * pre-copy round. Each prepared handoff that has one hands over what changed since its snapshot or
   * its last round (a CRDT merges the delta and moves its mark), so `dispatch` has only what changes
   * after it. Resolves with the prepared records, the rounds' facts in their detail;
   * rejects like `prepare` (phase `prepare`, everything prepared discarded, nothing paused).
   */
  async refresh(): Promise<readonly HandoffRecord[]> {
    if (!this.#preparing || this.#dispatched)
      throw new ReloadError({
        code: 'INVALID_ARGUMENT',
        phase: 'prepare',
        message: 'refresh() runs after prepare() and before dispatch()',
      });
    await this.#prepared.refresh(this.#options.concurrency ?? defaultSettings.concurrency);
    return this.#prepared.records;
  }

  /**
   * Discards what `prepare` made and `dispatch` did not consume (a reload that stops between the
   * two). Resolves with the failures of discarding (the old resources serve regardless); never rejects.
   */
  discardPrepared(): Promise<unknown[]> {
    return this.#prepared.discardAll();
  }

  /**
   * Hands every live resource over (after `checkCompat`, which it runs if it has not run). Resolves
   * with `{ ok: true, outcome }`, or with `{ ok: false, error, rollback }` once every completed
   * handoff was undone. Rejects only when called twice.
   */
  async dispatch(): Promise<DispatchResult> {
    if (this.#dispatched)
      throw new ReloadError({
        code: 'INVALID_ARGUMENT',
        phase: 'dispatch',
        message: 'dispatch() may run once per dispatcher',
      });
    this.#dispatched = true;
    const signal = this.#options.signal ?? NEVER_ABORTED;
    const concurrency = this.#options.concurrency ?? defaultSettings.concurrency;
    const timeoutMs = this.#options.stepTimeoutMs ?? defaultSettings.stepTimeoutMs;
    const rollbackMs = Math.max(timeoutMs, this.#options.rollbackTimeoutMs ?? defaultSettings.rollbackTimeoutMs);
    const shared = this.#shared;
    const contexts = this.#handoffs.map(
      (h) => new StepRecorder(h.kind, h.name, signal, timeoutMs, 'dispatch', rollbackMs, shared),
    );
    let report: CompatReport;
    try {
      report = await this.checkCompat();
    } catch (error) {
      await this.#prepared.discardAll();
      const rollback = await rollBackAttempts(
        this.#handoffs.map((h, i) => ({ ...h, context: contexts[i]!, result: { status: 'skipped' } as const })),
        concurrency,
        NEVER_ABORTED,
      );
      return { ok: false, error: toReloadError(error, { phase: 'compat' }), rollback };
    }
    const results = await mapBounded(this.#handoffs, concurrency, async (h, i): Promise<CompletedHandoff> => {
      signal.throwIfAborted();
      const context = contexts[i]!;
      const started = performance.now();
      const caughtUp = this.#prepared.catchUp(i, context);
      if (caughtUp !== undefined) {
        const prepared = await caughtUp;
        return { kind: h.kind, name: h.name, old: h.old, prepared, context, ms: performance.now() - started };
      }
      const discipline = this.#disciplines.require(h.kind);
      const known = this.#compat.verdictFor(h, report);
      const verdict = known instanceof Promise ? await known : known;
      const prepared = await discipline.handoff!(handoffInput(h, verdict), context);
      return { kind: h.kind, name: h.name, old: h.old, prepared, context, ms: performance.now() - started };
    });
    const failure = firstFailure(this.#handoffs, results, 'dispatch');
    // Every handoff completed, so every prepared one was caught up: nothing to discard in the pause.
    if (failure === undefined)
      return {
        ok: true,
        outcome: ReloadOutcome.prepared(
          report,
          results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : [])),
          concurrency,
        ),
      };
    // Prepared handoffs whose catch-up never ran (skipped after the first failure, or aborted first).
    await this.#prepared.discardAll();
    const rollback = await rollBackAttempts(
      this.#handoffs.map((h, i) => ({ ...h, context: contexts[i]!, result: results[i]! })),
      concurrency,
      NEVER_ABORTED,
    );
    const { failed, cause } = failure;
    if (!rollback.error) return { ok: false, error: cause, rollback };
    const error = new ReloadError({
      code: 'ROLLBACK_FAILED',
      phase: 'rollback',
      kind: failed.kind,
      key: failed.name,
      message: `${cause.message}; then ${rollback.error.message}`,
      cause,
    });
    return { ok: false, error, rollback };
  }
}
