import type { CompatVerdict } from '../compat/verdict.js';
import type { MaybePromise } from '../util/maybePromise.js';

/**
 * A replica's state of a CRDT. States are mutable: `apply` and `merge` change this state.
 */
export interface CrdtState<Op = unknown, Value = unknown> {
  /** Applies one local operation. */
  apply(op: Op): MaybePromise<void>;
  /** Merges another replica's state of the same kind (commutative, associative, idempotent). */
  merge(other: CrdtState<Op, Value>): MaybePromise<void>;
  /** The observable value (compared with `util.isDeepStrictEqual` across a reload). */
  value(): MaybePromise<Value>;
  /** Serialises the state in the kind's versioned format. */
  persist(): MaybePromise<Uint8Array>;
  /**
   * Optional (with `mergeDelta`): starts tracking what changes from now on, so a reload can move
   * the state before the pause and only the changes since inside it. Tracking costs the state
   * memory for what it touched until the mark is released.
   */
  mark?(): MaybePromise<CrdtMark>;
  /**
   * Optional: merges a delta another state of this kind produced ({@link CrdtMark.delta}, in the
   * kind's versioned delta format). Merging a state's persisted bytes at the mark (read by
   * `fromPersisted`) with its delta gives that state's `value()` and `persist()` bytes; merging a
   * delta twice changes nothing. A delta of an unknown format or corrupt bytes is a typed error.
   */
  mergeDelta?(delta: Uint8Array): MaybePromise<void>;
}

/** Tracks the changes of one {@link CrdtState} since {@link CrdtState.mark}. */
export interface CrdtMark {
  /**
   * Everything that changed since the mark (local ops and merges), as a delta in the kind's
   * versioned delta format. Cumulative: a later call covers an earlier one.
   */
  delta(): MaybePromise<Uint8Array>;
  /**
   * Optional: whether the state changed since the mark (an op, a merge or a `mergeDelta` that
   * changed it). `false` promises that nothing did, so `delta()` carries no change: a reload then
   * skips `delta()` and the new state's `mergeDelta` inside its pause. Answer `true` when unsure.
   * Without it, the delta is always taken and merged.
   */
  changed?(): MaybePromise<boolean>;
  /** Stops tracking. Idempotent. */
  release(): void;
}

/**
 * A CRDT kind. Registered under its `kind`.
 *
 * Reload discipline: schema compat. Before anything pauses, the old version's reachable states
 * (never only the empty one) are persisted and read back by the new version, through its migration
 * if it declares one; any failure or changed `value()` is a hard error. Live states are then moved
 * by the same persist → (migrate) → `fromPersisted` path while their writers wait — or, when the
 * state has `mark` and the new provider's states `mergeDelta` (and no migration is needed), before
 * the pause while writers keep writing, with only the delta since the mark merged inside it.
 */
export interface CrdtKindProvider<Op = unknown, Value = unknown> {
  /** The kind's name (registry key), e.g. `g-counter`. */
  readonly kind: string;
  /** Version of the persisted format this provider writes. */
  readonly formatVersion?: number;
  empty(): MaybePromise<CrdtState<Op, Value>>;
  /** Reads persisted bytes; throws a typed error on another kind, an unknown version or corrupt bytes. */
  fromPersisted(bytes: Uint8Array): MaybePromise<CrdtState<Op, Value>>;
  /**
   * Declares how this (new) provider takes over state of `old`. Absent: compatible as is. The
   * declared verdict is always verified on reachable states; it cannot skip the round trip.
   */
  schemaCompatCheck?(old: CrdtKindProvider): MaybePromise<CompatVerdict>;
  /**
   * Sample operation sequences that reach representative non-empty states of this kind. The compat
   * check applies them to `empty()` of the old provider; hosts and @baton/testing add generated ones.
   */
  samples?(): Iterable<readonly Op[]>;
}
