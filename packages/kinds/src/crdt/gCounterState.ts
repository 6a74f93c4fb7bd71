import type { CrdtState } from '@baton/core';
import { encodeEnvelope } from '../codec/envelope.js';
import type { BodySchema } from '../codec/bodySchemaTypes.js';
import type { BodyReader } from './bodyReader.js';
import { sameKindState } from './crdtProvider.js';
import { isFormatVersion } from '../codec/envelopeArguments.js';
import { invalidCrdtArgument } from './crdtErrors.js';
import { OpFields } from './opFields.js';
import { ReplicaCounts } from './replicaCounts.js';
import { decodeDelta, deltaLimitOf, encodeDelta, limitDeltas, StateMark } from './crdtDelta.js';
import { G_COUNTER_DELTA_BODIES, readCountsDelta } from './countsDelta.js';

/** The kind name of the G-Counter. */
export const G_COUNTER = 'g-counter';

/** A G-Counter operation: replica `replica` (the replica applying it) counts up by `by` (a positive safe integer). */
export interface GCounterOp {
  readonly replica: string;
  readonly by: number;
}

/** One persisted format of the G-Counter: how counts become an envelope body and back. */
export interface GCounterFormat {
  readonly version: number;
  /** What a body of this format may hold, checked on the bytes before it is decoded. */
  readonly body: BodySchema;
  /** The envelope body of `counts`. */
  encode(counts: ReplicaCounts): unknown;
  /** Counts from a body, checked strictly (`CORRUPT_INPUT` through `reader`); takes the body over. */
  decode(body: unknown, reader: BodyReader): ReplicaCounts;
}

/**
 * A grow-only counter: one count per replica, merged by maximum; the value is their sum (a number,
 * exact up to `Number.MAX_SAFE_INTEGER`). Each replica applies only its own ops (`op.replica` is
 * the local replica's id); other replicas' increments arrive through `merge`.
 *
 * Obtain states from a provider (`gCounter().empty()`,
 * `gCounter({ format: 2 }).fromPersisted(bytes)`); the state persists in its provider's format
 * version.
 */
export class GCounterState implements CrdtState<GCounterOp, number> {
  readonly #format: GCounterFormat;
  readonly #counts: ReplicaCounts;

  /** @internal The kind's own way to make one (providers, formats, tests). */
  static create(format: GCounterFormat, counts = new ReplicaCounts()): GCounterState {
    return new GCounterState(format, counts);
  }

  /** Use a provider (`INVALID_ARGUMENT` for arguments a provider would not pass). */
  private constructor(format: GCounterFormat, counts = new ReplicaCounts()) {
    if (!isGCounterFormat(format) || !(counts instanceof ReplicaCounts))
      throw invalidCrdtArgument(G_COUNTER, 'a GCounterState is made by a provider (gCounter().empty(), fromPersisted)');
    this.#format = format;
    this.#counts = counts;
  }

  /** The format version `persist()` writes. */
  get formatVersion(): number {
    return this.#format.version;
  }

  /** Counts `op.by` for `op.replica`. `INVALID_ARGUMENT` for a bad op or a count beyond 2^53 − 1. */
  apply(op: GCounterOp): void {
    const fields = new OpFields(G_COUNTER, op);
    const replica = fields.replica();
    const by = fields.integer('by', 1, this.#counts.headroom(replica));
    this.#counts.add(replica, by);
  }

  /** Takes each replica's larger count (another G-Counter state, of any format version). */
  merge(other: CrdtState<GCounterOp, number>): void {
    this.#counts.mergeMax(sameKindState(G_COUNTER, other, GCounterState).#counts);
  }

  /**
   * Starts tracking the replicas whose count changes (by op, merge or `mergeDelta`). Its `delta()`
   * is a `g-counter.delta` envelope, format 1 `[replicaIds, counts]`: those replicas and their
   * current counts. Marks are independent; tracking costs nothing once all are released.
   */
  mark(): StateMark {
    const touched = this.#counts.track();
    return new StateMark(
      G_COUNTER,
      () => encodeDelta(G_COUNTER, 1, this.#counts.countsOf(touched)),
      () => {
        this.#counts.untrack(touched);
      },
      () => touched.size > 0,
    );
  }

  /**
   * Takes each replica's larger count from a delta (of a state of any format version). Anything but
   * a `g-counter.delta` of format 1 with a sound body is `CORRUPT_INPUT`, and nothing changes.
   */
  mergeDelta(delta: Uint8Array): void {
    const { body, reader } = decodeDelta(G_COUNTER, delta, G_COUNTER_DELTA_BODIES, deltaLimitOf(this));
    const [ids, counts] = reader.array(body, 'the delta [replicaIds, counts]', 2);
    this.#counts.mergeMax(readCountsDelta(ids, counts, 'the', reader));
  }

  /** @internal The replicas recorded for open marks (0 when none is open). */
  get trackedChanges(): number {
    return this.#counts.tracked;
  }

  /** The sum of all replicas' counts. */
  value(): number {
    return this.#counts.sum();
  }

  /** The count of one replica (0 when it has none). */
  count(replica: string): number {
    return this.#counts.get(replica);
  }

  /** The replicas with a count, and their counts. */
  counts(): Map<string, number> {
    return new Map(this.#counts.entries());
  }

  /** The state in a `g-counter` envelope of this state's format version. */
  persist(): Uint8Array {
    return encodeEnvelope(G_COUNTER, this.#format.version, this.#format.encode(this.#counts));
  }

  /** True when `other` is a G-Counter with the same count for every replica (format aside). */
  equals(other: CrdtState<GCounterOp, number>): boolean {
    return other instanceof GCounterState && other.#counts.equals(this.#counts);
  }

  /** An independent copy (same format version). */
  clone(): GCounterState {
    return limitDeltas(new GCounterState(this.#format, this.#counts.clone()), deltaLimitOf(this));
  }
}

/** True when `value` has the shape of a {@link GCounterFormat}. */
function isGCounterFormat(value: unknown): value is GCounterFormat {
  const format = typeof value === 'object' && value !== null ? (value as Partial<Record<string, unknown>>) : undefined;
  return (
    format !== undefined &&
    isFormatVersion(format['version']) &&
    typeof format['encode'] === 'function' &&
    typeof format['decode'] === 'function'
  );
}
