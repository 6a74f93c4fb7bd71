import type { CompatVerdict } from '../compat/verdict.js';
import type { MaybePromise } from '../util/maybePromise.js';
import type { OpenContext, OpenedResource } from './openTypes.js';

/**
 * How a surface kind behaves on reload (one row of the discipline table in the package doc):
 * - `clean`: nothing is handed over; in-flight work finishes on the old version.
 * - `reopen`: the new provider reopens the same place (a storage location) while the old resource
 *   keeps serving; the old one is closed once its in-flight calls drained.
 * - `persistOpen`: the old resource is persisted and the new provider opens the bytes.
 * - `checkpointRestart`: the old resource is checkpointed and stopped; the new one resumes there.
 * - `schemaCompat`: persisted state must round-trip old → new (directly or through a migration).
 * - `extensionContract`: the declared contract must be unchanged.
 */
export type DisciplineMode =
  'clean' | 'reopen' | 'persistOpen' | 'checkpointRestart' | 'schemaCompat' | 'extensionContract';

/** What a compat check gets besides the two providers. */
export interface CompatContext {
  readonly kind: string;
  readonly key: string;
  readonly signal: AbortSignal;
  /** Milliseconds each provider call may take. */
  readonly timeoutMs: number;
  /** Extra operation sequences to reach old-version states (from the host or @baton/testing). */
  readonly samples: readonly (readonly unknown[])[];
  /** Live resources of the old version the check may read (e.g. live CRDT states) without changing them. */
  readonly liveResources: readonly LiveResource[];
  /** Upper bound on the number of states a check visits. */
  readonly maxStates: number;
  /**
   * Where the check is (which provider call, on what): a check updates it as it goes, so a check
   * that hangs past its deadline is reported with the call it was stuck in.
   */
  readonly progress?: CompatProgress;
}

/** The provider call a compat check is in, and what it is applied to. */
export interface CompatProgress {
  step: string;
  subject: string;
}

/** A named live resource handed to a compat check. */
export interface LiveResource {
  readonly name: string;
  readonly resource: unknown;
}

/** Options of {@link StepContext.call}. */
export interface StepCallOptions<T> {
  /** Validates what the provider returned; returns a description of what is wrong, or undefined. */
  readonly check?: (value: unknown) => string | undefined;
  /** Disposes of a value that arrives after the call was abandoned. */
  readonly onLate?: (value: T) => MaybePromise<unknown>;
}

/** What a handoff step gets: deadline-bound provider calls and a way to report what it handed back. */
export interface StepContext {
  readonly kind: string;
  /** The resource's name. */
  readonly name: string;
  readonly signal: AbortSignal;
  readonly timeoutMs: number;
  /**
   * Runs one provider call under the reload's deadline and abort signal. A throw, a rejection, a
   * timeout or a value failing `check` becomes a `ReloadError` naming `step`, the kind and the name.
   * `fn` gets the signal that aborts when this call is abandoned (its deadline passed, or the reload
   * was aborted). Steps share that signal — within one dispatch, the steps of every resource — until
   * one of them is abandoned: that aborts it for every step still running (the reload is failing, so
   * they are only work to roll back), and the next step gets a fresh one.
   */
  call<T>(step: string, fn: (signal: AbortSignal) => MaybePromise<T>, options?: StepCallOptions<T>): Promise<T>;
  /**
   * A context for undoing this handoff's own partial work (restarting what it stopped): same deadline,
   * but not cancelled by the reload's abort signal, so a rollback can finish after an abort.
   */
  undoContext(): StepContext;
  /** A `HANDOFF_FAILED` error for `step` with `message`. */
  fail(step: string, message: string, cause?: unknown): Error;
  /**
   * Reports, from a handoff that fails after disturbing the old resource, the resource now serving
   * in its place (e.g. the old CDC provider restarted at the checkpoint), and the checkpoint LSN.
   */
  handBack(resource: unknown, checkpointLsn?: bigint): void;
  /** Records a CDC checkpoint LSN taken during the handoff (reported with any error). */
  noteCheckpoint(lsn: bigint): void;
  /**
   * Reports, from a handoff that fails, that the old resource was disturbed and could not be
   * restored (e.g. a CDC stream stopped whose restart failed too). The host then stops using it and
   * the error names it with its checkpoint. Without this (or `handBack`), a failed handoff promises
   * the old resource is intact.
   */
  markOldLost(): void;
}

/** One live resource to hand from the old version to the new one. */
export interface HandoffInput<P, R> {
  readonly name: string;
  /** The live resource of the old version. */
  readonly old: R;
  /** The old version's provider that made `old` (needed to restart it on rollback). */
  readonly oldProvider: P | undefined;
  /** The new version's provider. */
  readonly next: P;
  /** The compat verdict old → new (carries the migration, if any). */
  readonly verdict: CompatVerdict;
  /** Kind-specific parameters (e.g. `location` of a storage, `expectedLsn` of a CDC stream). */
  readonly params: Readonly<Record<string, unknown>>;
}

/** A prepared handoff: the new resource exists; the old one still exists until `release`. */
export interface PreparedHandoff<R> {
  /** The new version's resource. */
  readonly next: R;
  /** Facts for reports (bytes persisted, checkpoint LSN, …). */
  readonly detail: Readonly<Record<string, unknown>>;
  /** After commit, once nobody uses the old resource: release it. */
  release(context: StepContext): Promise<void>;
  /**
   * Before commit: undo, and return the resource that serves again (the old one, or its restart).
   * Throw only when no resource can serve again: a rejection means the resource is lost.
   */
  undo(context: StepContext): Promise<R>;
  /**
   * Optional: right after commit, once the gates opened (while callers use the new resource) —
   * e.g. the durable copy of a state that was handed over by reference. A failure is reported in
   * the reload's retire report; the new version keeps serving.
   */
  afterCommit?(context: StepContext): Promise<void>;
}

/**
 * What {@link KindDiscipline.prepare} made before the pause: the new resource, opened from a
 * snapshot of the old one while the old one kept serving. Exactly one of `catchUp` (the reload
 * reached its pause) or `discard` (it was refused or rolled back first) is called.
 */
export interface PreparedSnapshot<R> {
  /** Facts for reports (bytes, by reference or copied, …), merged into the handoff's detail. */
  readonly detail: Readonly<Record<string, unknown>>;
  /**
   * Inside the pause: hands over only what changed since the snapshot, and returns the handoff
   * (released or undone like any other). Runs while callers wait, so it must not wait for timers
   * or I/O: its cost is the delta, not the state. `params` are the handoff's parameters read now
   * (see {@link HandoffInput.params}). If it rejects, the dispatcher calls `discard`.
   */
  catchUp(params: Readonly<Record<string, unknown>>, context: StepContext): Promise<PreparedHandoff<R>>;
  /** Drops what `prepare` made; the old resource serves as it did. */
  discard(context: StepContext): Promise<void>;
  /**
   * Optional: one pre-copy round, after every handoff of the reload was prepared and right before
   * the gate closes, while the old version still serves. Hands over what changed since the snapshot
   * (or since the round before), so that `catchUp` only has what changes after it. Resolves with
   * facts for reports (merged into the handoff's detail). A rejection refuses the reload before
   * anything pauses, and `discard` is called.
   */
  refresh?(context: StepContext): Promise<Readonly<Record<string, unknown>>>;
}

/**
 * Everything the host and the dispatcher know about one surface kind, in one place: how a provider
 * is validated and keyed, how its live resources are opened and shape-checked, how compat old → new
 * is checked, how a live resource is handed from the old version to the new one (prepare, then
 * release or undo), and how it is closed for good.
 *
 * The eight built-in kinds come with disciplines; a host adds its own kind by passing another
 * discipline to the host (`disciplines` option) or the dispatcher — no other code changes.
 * `Q` is the request `open` takes (what a caller passes to make one resource).
 */
export interface KindDiscipline<P = unknown, R = unknown, Q = Readonly<Record<string, unknown>>> {
  readonly kind: string;
  readonly mode: DisciplineMode;
  /** One line for docs and `baton inspect`. */
  readonly description: string;
  /**
   * True when live resources of this kind must be quiesced before their handoff: new uses wait at
   * the plugin's gate and in-flight ones drain. False when the old resource can keep serving until
   * commit (read-only index handles, storage at a shared location).
   */
  readonly pausesCallers: boolean;
  /** The provider's registry key (its name or kind). Called after `validate` passed. */
  keyOf(provider: P): string;
  /** Problems with an untrusted provider (empty when it fulfils the contract). */
  validate(provider: unknown): readonly string[];
  /**
   * Problems with a live resource a provider made (undefined when it is one). The host checks what
   * `open` returns with it, and handoffs check what the new provider returns.
   */
  checkResource?(resource: unknown): string | undefined;
  /**
   * Makes one live resource with the provider that serves now, from the caller's request (checked
   * by the caller). Absent: resources of this kind are made by the caller's own function.
   */
  open?(provider: P, request: Q, context: OpenContext): Promise<OpenedResource<R>>;
  /** Compat old → new, before anything pauses. Absent: always compatible. */
  checkCompat?(old: P, next: P, context: CompatContext): Promise<CompatVerdict>;
  /**
   * Optional: the O(state) part of a handoff, before the gate closes while the old version serves
   * (snapshot, open on the new provider). Resolves `undefined` when this resource cannot be
   * prepared (its provider lacks the hooks): `handoff` then runs inside the pause as before. A
   * rejection refuses the reload before anything pauses.
   */
  prepare?(input: HandoffInput<P, R>, context: StepContext): Promise<PreparedSnapshot<R> | undefined>;
  /** Hands one live resource over. Absent: the kind has no live resources. */
  handoff?(input: HandoffInput<P, R>, context: StepContext): Promise<PreparedHandoff<R>>;
  /** Closes a live resource for good (unload, host close). */
  close?(resource: R, context: StepContext): Promise<void>;
}
