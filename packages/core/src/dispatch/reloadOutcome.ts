import type { CompatReport } from '../compat/compatReport.js';
import { ReloadError } from '../errors/reloadError.js';
import { ResourceBundle } from './resourceBundle.js';
import { rollBack } from './rollback.js';
import type { CompletedHandoff, RollbackReport } from './rollback.js';

/** How long one handoff took and what it reported. */
export interface HandoffRecord {
  readonly kind: string;
  readonly name: string;
  readonly ms: number;
  readonly detail: Readonly<Record<string, unknown>>;
}

/** Where a {@link ReloadOutcome} stands: prepared, then released (after commit) or rolled back. */
export type OutcomeState = 'prepared' | 'released' | 'rolledBack';

/**
 * The result of a successful dispatch: the new resources (reopened index handles, restarted CDC
 * streams, migrated CRDT states, reopened storages, a host kind's own) for the host to reattach.
 * The old resources still exist. After the host commits, {@link ReloadOutcome.release} closes the
 * old ones; if the host cannot commit, {@link ReloadOutcome.rollback} undoes every handoff in
 * reverse. Disposing a still-prepared outcome (`await using`) rolls it back.
 */
export class ReloadOutcome implements AsyncDisposable {
  /** The new resources by kind and name (`resources.byKind('indexKind')`, `resources.get(kind, name)`). */
  readonly resources: ResourceBundle;
  /** Per-handoff timings, in completion order. */
  readonly handoffs: readonly HandoffRecord[];
  readonly #completed: readonly CompletedHandoff[];
  readonly #concurrency: number;
  #state: OutcomeState = 'prepared';

  /** Made by the dispatcher (`ReloadDispatcher.dispatch`), never by callers. */
  private constructor(
    readonly compat: CompatReport,
    completed: readonly CompletedHandoff[],
    concurrency: number,
  ) {
    this.#completed = completed;
    this.#concurrency = concurrency;
    this.resources = new ResourceBundle(
      completed.map(({ kind, name, prepared }) => ({ kind, name, resource: prepared.next })),
    );
    this.handoffs = completed.map(({ kind, name, ms, prepared }) => ({ kind, name, ms, detail: prepared.detail }));
  }

  /** @internal The dispatcher's way to make an outcome. */
  static prepared(compat: CompatReport, completed: readonly CompletedHandoff[], concurrency: number): ReloadOutcome {
    return new ReloadOutcome(compat, completed, concurrency);
  }

  get state(): OutcomeState {
    return this.#state;
  }

  /**
   * Releases the old resources (closes old index handles and storages). Call after the new version
   * is committed and nobody uses the old resources any more. Every release is attempted; failures
   * are reported together afterwards (they do not affect what serves).
   */
  async release(signal: AbortSignal = new AbortController().signal): Promise<void> {
    this.#transition('released');
    const results = await Promise.allSettled(
      this.#completed.map(({ prepared, context }) => prepared.release(context.forPhase('retire', signal))),
    );
    const failures = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
    if (failures.length > 0) {
      throw new ReloadError({
        code: 'HANDOFF_FAILED',
        phase: 'retire',
        message: `${failures.length} old resource(s) could not be released; the new version serves`,
        cause: new AggregateError(failures),
      });
    }
  }

  /**
   * Runs the `afterCommit` step of every handoff that has one (e.g. the durable copy of a state
   * handed over by reference). Call right after the new version is committed and visible; it does
   * not wait for the old resources to go idle. Resolves with the failures (the new version serves
   * regardless); never rejects.
   */
  async afterCommit(signal: AbortSignal = new AbortController().signal): Promise<unknown[]> {
    const steps = this.#completed.flatMap(({ prepared, context }) =>
      prepared.afterCommit === undefined ? [] : [prepared.afterCommit(context.forPhase('commit', signal))],
    );
    if (steps.length === 0) return [];
    const results = await Promise.allSettled(steps);
    return results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
  }

  /**
   * Undoes every handoff in reverse order of completion (up to the dispatcher's concurrency at a
   * time) and reports what serves again: the untouched old resources, and CDC streams restarted on
   * the old provider at their checkpoint. Resolves even when some could not be restored: the
   * report's `unrestored` names them and its `error` is `ROLLBACK_FAILED`.
   */
  async rollback(signal: AbortSignal = new AbortController().signal): Promise<RollbackReport> {
    this.#transition('rolledBack');
    return rollBack(this.#completed, this.#concurrency, signal);
  }

  /** Rolls a still-prepared outcome back; rejects with `ROLLBACK_FAILED` if something was lost. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#state !== 'prepared') return;
    const report = await this.rollback();
    if (report.error) throw report.error;
  }

  #transition(to: OutcomeState): void {
    if (this.#state !== 'prepared') {
      throw new ReloadError({
        code: 'INVALID_ARGUMENT',
        phase: to === 'released' ? 'retire' : 'rollback',
        message: `this outcome was already ${this.#state}`,
      });
    }
    this.#state = to;
  }
}
