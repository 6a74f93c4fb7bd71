import type { CompatReport } from '../compat/compatReport.js';
import type { PreparedHandoff } from '../disciplines/discipline.js';
import { ReloadError } from '../errors/reloadError.js';
import { mapBounded } from '../util/boundedMap.js';
import { ResourceBundle } from './resourceBundle.js';
import type { StepRecorder } from './stepRecorder.js';

/** How long one handoff took and what it reported. */
export interface HandoffRecord {
  readonly kind: string;
  readonly name: string;
  readonly ms: number;
  readonly detail: Readonly<Record<string, unknown>>;
}

/** One completed handoff inside an outcome. */
export interface CompletedHandoff {
  readonly kind: string;
  readonly name: string;
  readonly old: unknown;
  readonly prepared: PreparedHandoff<unknown>;
  readonly context: StepRecorder;
  readonly ms: number;
}

/** Where a {@link ReloadOutcome} stands: prepared, then released (after commit) or rolled back. */
export type OutcomeState = 'prepared' | 'released' | 'rolledBack';

/**
 * The result of a successful dispatch: the new resources (reopened index handles, restarted CDC
 * streams, migrated CRDT states, reopened storages) for the host to reattach. The old resources
 * still exist. After the host commits, {@link ReloadOutcome.release} closes the old ones; if the
 * host cannot commit, {@link ReloadOutcome.rollback} undoes every handoff in reverse. Disposing a
 * still-prepared outcome (`await using`) rolls it back.
 */
export class ReloadOutcome implements AsyncDisposable {
  /** The new resources by kind and name. */
  readonly resources: ResourceBundle;
  /** Per-handoff timings, in completion order. */
  readonly handoffs: readonly HandoffRecord[];
  readonly #completed: readonly CompletedHandoff[];
  readonly #concurrency: number;
  #state: OutcomeState = 'prepared';

  /** @internal Made by the dispatcher. */
  constructor(
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

  get state(): OutcomeState {
    return this.#state;
  }

  /** Reopened index handles by name. */
  get indexHandles(): ResourceBundle['indexHandles'] {
    return this.resources.indexHandles;
  }

  /** Restarted CDC streams by name. */
  get cdcStreams(): ResourceBundle['cdcStreams'] {
    return this.resources.cdcStreams;
  }

  /** Migrated CRDT states by name. */
  get crdtStates(): ResourceBundle['crdtStates'] {
    return this.resources.crdtStates;
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
   * Undoes every handoff in reverse order of completion (up to the dispatcher's concurrency at a
   * time) and returns the resources that serve again: the untouched old ones, and CDC streams
   * restarted on the old provider at their checkpoint.
   */
  async rollback(signal: AbortSignal = new AbortController().signal): Promise<ResourceBundle> {
    this.#transition('rolledBack');
    const { restored, unrestored } = await undoAll([...this.#completed].reverse(), this.#concurrency, signal);
    if (unrestored.length > 0) throw rollbackFailed(unrestored, restored);
    return restored;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#state === 'prepared') await this.rollback();
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

/** A resource that no longer serves after a failed reload: a failed undo, or a lost old resource. */
export interface UnrestoredResource {
  readonly kind: string;
  readonly name: string;
  /** The CDC checkpoint taken before it was stopped: restart the stream from here. */
  readonly checkpointLsn: bigint | undefined;
  readonly error: unknown;
}

/** What undoing handoffs gave back. */
export interface UndoResult {
  readonly restored: ResourceBundle;
  readonly unrestored: readonly UnrestoredResource[];
}

/** Undoes `handoffs` in the given order (up to `concurrency` at once) and collects what serves again. */
export async function undoAll(
  handoffs: readonly CompletedHandoff[],
  concurrency: number,
  signal: AbortSignal,
): Promise<UndoResult> {
  const results = await mapBoundedAll(handoffs, concurrency, (h) =>
    h.prepared.undo(h.context.forPhase('rollback', signal)),
  );
  const restored: { kind: string; name: string; resource: unknown }[] = [];
  const unrestored: UnrestoredResource[] = [];
  results.forEach((result, i) => {
    const { kind, name, context } = handoffs[i]!;
    if (result.status === 'fulfilled') restored.push({ kind, name, resource: result.value });
    else unrestored.push({ kind, name, checkpointLsn: context.checkpoints[0], error: result.reason });
  });
  return { restored: new ResourceBundle(restored), unrestored };
}

/** Like {@link mapBounded}, but never stops early: every item is attempted. */
async function mapBoundedAll<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<PromiseSettledResult<R>[]> {
  const settle = (item: T): Promise<PromiseSettledResult<R>> =>
    fn(item).then(
      (value) => ({ status: 'fulfilled', value }),
      (reason: unknown) => ({ status: 'rejected', reason }),
    );
  const results = await mapBounded(items, limit, settle);
  // settle() never rejects, so mapBounded never skips an item.
  return results.map((result) =>
    result.status === 'fulfilled'
      ? result.value
      : { status: 'rejected', reason: result.status === 'rejected' ? result.reason : undefined },
  );
}

/** The error for a rollback after which some resources could not be restored. */
export function rollbackFailed(unrestored: readonly UnrestoredResource[], restored: ResourceBundle): ReloadError {
  const first = unrestored[0]!;
  const names = unrestored.map(
    (u) => `${u.kind} '${u.name}'${u.checkpointLsn === undefined ? '' : ` (restart from LSN ${u.checkpointLsn})`}`,
  );
  return new ReloadError({
    code: 'ROLLBACK_FAILED',
    phase: 'rollback',
    kind: first.kind,
    key: first.name,
    message: `${unrestored.length} resource(s) could not be restored: ${names.join(', ')}`,
    cause: new AggregateError(unrestored.map((u) => u.error)),
    details: { restored, unrestored },
  });
}
