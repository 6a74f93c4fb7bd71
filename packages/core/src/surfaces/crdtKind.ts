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
}

/**
 * A CRDT kind. Registered under its `kind`.
 *
 * Reload discipline: schema compat. Before anything pauses, the old version's reachable states
 * (never only the empty one) are persisted and read back by the new version, through its migration
 * if it declares one; any failure or changed `value()` is a hard error. Live states are then moved
 * by the same persist → (migrate) → `fromPersisted` path while their writers wait.
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
