import type { PreparedHandoff } from '../disciplines/discipline.js';
import { ReloadError } from '../errors/reloadError.js';
import { mapBounded } from '../util/boundedMap.js';
import type { BoundedResult } from '../util/boundedMap.js';
import { ResourceBundle } from './resourceBundle.js';
import type { StepRecorder } from './stepRecorder.js';

/**
 * Rollback, in one place: undoing completed handoffs (after a failed dispatch, or when a host
 * cannot commit an outcome) and reporting, typed, what serves again and what was lost.
 */

/** One completed handoff: what it made, and the context its steps ran in. */
export interface CompletedHandoff {
  readonly kind: string;
  readonly name: string;
  readonly old: unknown;
  readonly prepared: PreparedHandoff<unknown>;
  readonly context: StepRecorder;
  readonly ms: number;
}

/** A resource that no longer serves after a failed reload: a failed undo, or a lost old resource. */
export interface UnrestoredResource {
  readonly kind: string;
  readonly name: string;
  /** The CDC checkpoint taken before it was stopped: restart the stream from here. */
  readonly checkpointLsn: bigint | undefined;
  readonly error: unknown;
}

/** What a rollback gave back. */
export interface RollbackReport {
  /** The resources that serve again: untouched old ones, or restarts of them (a CDC stream). */
  readonly restored: ResourceBundle;
  /** The resources that could not be restored (empty after a clean rollback). */
  readonly unrestored: readonly UnrestoredResource[];
  /** The first CDC checkpoint LSN each handed-over stream took, by resource name. */
  readonly checkpoints: ReadonlyMap<string, bigint>;
  /** `ROLLBACK_FAILED` naming every unrestored resource; undefined when nothing was lost. */
  readonly error: ReloadError | undefined;
}

/** One handoff a dispatch attempted: what it was given, and how its context ended. */
export interface AttemptedHandoff {
  readonly kind: string;
  readonly name: string;
  readonly old: unknown;
  readonly context: StepRecorder;
  readonly result: BoundedResult<CompletedHandoff>;
}

/**
 * Undoes completed handoffs, newest first (up to `concurrency` at a time; every undo is attempted)
 * and reports what serves again.
 */
export async function rollBack(
  completed: readonly CompletedHandoff[],
  concurrency: number,
  signal: AbortSignal,
): Promise<RollbackReport> {
  const undone = await undoEach([...completed].reverse(), concurrency, signal);
  return report(
    undone.restored,
    undone.unrestored,
    completed.map((h) => h.context),
  );
}

/**
 * Rolls back a dispatch that failed part-way: undoes what completed, takes back what a failed
 * handoff handed back (an old CDC stream restarted at its checkpoint), names what a failed handoff
 * lost, and keeps every untouched old resource.
 */
export async function rollBackAttempts(
  attempts: readonly AttemptedHandoff[],
  concurrency: number,
  signal: AbortSignal,
): Promise<RollbackReport> {
  const completed = attempts.flatMap((a) => (a.result.status === 'fulfilled' ? [a.result.value] : []));
  const undone = await undoEach([...completed].reverse(), concurrency, signal);
  // Names are unique per kind within a dispatch (checkHandoffs), so kind + name finds each undo.
  const undoneByName = new Map(undone.restored.map((entry) => [`${entry.kind}\u0000${entry.name}`, entry]));
  const restored: RestoredEntry[] = [];
  const unrestored: UnrestoredResource[] = [...undone.unrestored];
  for (const { kind, name, old, context, result } of attempts) {
    if (result.status === 'fulfilled') {
      const entry = undoneByName.get(`${kind}\u0000${name}`);
      if (entry) restored.push(entry);
    } else if (context.handedBack) {
      restored.push({ kind, name, resource: context.handedBack.resource });
    } else if (result.status === 'rejected' && context.oldLost) {
      unrestored.push({ kind, name, checkpointLsn: context.checkpoints[0], error: result.reason });
    } else {
      restored.push({ kind, name, resource: old }); // never touched
    }
  }
  return report(
    restored,
    unrestored,
    attempts.map((a) => a.context),
  );
}

/** The error for a rollback after which some resources could not be restored. */
function rollbackFailed(unrestored: readonly UnrestoredResource[]): ReloadError {
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
  });
}

interface RestoredEntry {
  readonly kind: string;
  readonly name: string;
  readonly resource: unknown;
}

function report(
  restored: readonly RestoredEntry[],
  unrestored: readonly UnrestoredResource[],
  contexts: readonly StepRecorder[],
): RollbackReport {
  const checkpoints = new Map<string, bigint>();
  for (const context of contexts) {
    const first = context.checkpoints[0];
    if (first !== undefined) checkpoints.set(context.name, first);
  }
  return {
    restored: new ResourceBundle(restored),
    unrestored,
    checkpoints,
    error: unrestored.length > 0 ? rollbackFailed(unrestored) : undefined,
  };
}

/** Undoes `handoffs` in the given order (up to `concurrency` at once); every undo is attempted. */
async function undoEach(
  handoffs: readonly CompletedHandoff[],
  concurrency: number,
  signal: AbortSignal,
): Promise<{ restored: RestoredEntry[]; unrestored: UnrestoredResource[] }> {
  const settle = (h: CompletedHandoff): Promise<PromiseSettledResult<unknown>> =>
    h.prepared.undo(h.context.forPhase('rollback', signal)).then(
      (value) => ({ status: 'fulfilled', value }),
      (reason: unknown) => ({ status: 'rejected', reason }),
    );
  // settle() never rejects, so mapBounded never skips an item.
  const results = await mapBounded(handoffs, concurrency, settle);
  const restored: RestoredEntry[] = [];
  const unrestored: UnrestoredResource[] = [];
  results.forEach((outer, i) => {
    const { kind, name, context } = handoffs[i]!;
    const result: PromiseSettledResult<unknown> =
      outer.status === 'fulfilled'
        ? outer.value
        : { status: 'rejected', reason: outer.status === 'rejected' ? outer.reason : undefined };
    if (result.status === 'fulfilled') restored.push({ kind, name, resource: result.value });
    else unrestored.push({ kind, name, checkpointLsn: context.checkpoints[0], error: result.reason });
  });
  return { restored, unrestored };
}
