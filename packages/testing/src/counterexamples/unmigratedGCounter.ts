import { Compat, ReloadError } from '@baton/core';
import type { CompatVerdict, CrdtKindProvider, CrdtState } from '@baton/core';
import { crdtLimits, G_COUNTER, gCounter, GCounterState } from '@baton/kinds';
import type { CrdtProvider, GCounterOp } from '@baton/kinds';
import { bodySchema, decodeEnvelope, encodeEnvelope } from '@baton/kinds/codec';
import { asCorrupt, corruptBody, oldProvider } from './brokenErrors.js';

/** The format the unmigrated G-Counter writes: `[replicaIds, counts]`, the counts a plain msgpack integer array. */
const FORMAT = 3;
/** Most replicas a state of it holds (as the real G-Counter). */
const MAX_REPLICAS = 1 << 24;
const BODY = bodySchema.tuple(
  bodySchema.list(bodySchema.str(1, 3 * crdtLimits.maxReplicaIdLength), MAX_REPLICAS),
  bodySchema.list(bodySchema.number(), MAX_REPLICAS),
);

/**
 * A state of {@link unmigratedGCounter}: a sound G-Counter (the counting of `@baton/kinds`' own)
 * that persists in format 3. It merges G-Counter states of every format.
 */
export class UnmigratedGCounterState implements CrdtState<GCounterOp, number> {
  readonly #counts: GCounterState;

  /** A state over `counts` (a G-Counter state it takes over). */
  constructor(counts: GCounterState = gCounter().empty()) {
    if (!(counts instanceof GCounterState))
      throw new ReloadError({
        code: 'INVALID_ARGUMENT',
        phase: 'call',
        kind: 'crdtKind',
        key: G_COUNTER,
        message: `'${G_COUNTER}': an UnmigratedGCounterState takes over a GCounterState`,
      });
    this.#counts = counts;
  }

  /** The format version `persist()` writes: 3. */
  get formatVersion(): number {
    return FORMAT;
  }

  /** Counts `op.by` for `op.replica` (`INVALID_ARGUMENT` for a bad op, as `GCounterState.apply`). */
  apply(op: GCounterOp): void {
    this.#counts.apply(op);
  }

  /** Takes each replica's larger count from `other`, a state of this provider or any `GCounterState`. */
  merge(other: CrdtState<GCounterOp, number>): void {
    this.#counts.merge(other instanceof UnmigratedGCounterState ? other.#counts : other);
  }

  /** The sum of all replicas' counts. */
  value(): number {
    return this.#counts.value();
  }

  /** The replicas with a count, and their counts. */
  counts(): Map<string, number> {
    return this.#counts.counts();
  }

  /** The state as a format-3 `g-counter` envelope. */
  persist(): Uint8Array {
    const entries = [...this.#counts.counts()];
    return encodeEnvelope(G_COUNTER, FORMAT, [entries.map(([id]) => id), entries.map(([, count]) => count)]);
  }

  /** True when `other` holds the same counts. */
  equals(other: CrdtState<GCounterOp, number>): boolean {
    return other instanceof UnmigratedGCounterState && this.#counts.equals(other.#counts);
  }

  /** An independent copy. */
  clone(): UnmigratedGCounterState {
    return new UnmigratedGCounterState(this.#counts.clone());
  }
}

/**
 * COUNTEREXAMPLE — not for production. A "G-Counter v3" whose format 3 (`[replicaIds, counts]` as a
 * plain msgpack integer array) changes the encoding without a migration, and says so honestly:
 * over a format-1 or format-2 provider its `schemaCompatCheck` answers `Compat.incompatible(reason)`,
 * so a reload to it is refused before anything pauses. Apart from that it is a sound G-Counter (it
 * reads only format 3, `CORRUPT_INPUT` for anything else).
 */
export function unmigratedGCounter(): CrdtProvider<UnmigratedGCounterState, GCounterOp, number> {
  return Object.freeze({
    kind: G_COUNTER,
    formatVersion: FORMAT,
    empty: () => new UnmigratedGCounterState(),
    fromPersisted(bytes: Uint8Array): UnmigratedGCounterState {
      const { body } = decodeEnvelope(bytes, { kind: G_COUNTER, versions: [FORMAT], bodies: { [FORMAT]: BODY } });
      const [ids, counts] = body as [string[], unknown[]];
      if (ids.length !== counts.length)
        throw corruptBody(G_COUNTER, `${ids.length} replica ids but ${counts.length} counts`);
      const state = gCounter().empty();
      ids.forEach((replica, i) => {
        if (state.count(replica) !== 0)
          throw corruptBody(G_COUNTER, `replicaIds[${i}]: replica id ${JSON.stringify(replica)} appears twice`);
        asCorrupt(G_COUNTER, `replica ${i}`, () => {
          state.apply({ replica, by: counts[i] as number });
        });
      });
      return new UnmigratedGCounterState(state);
    },
    schemaCompatCheck(old: CrdtKindProvider): CompatVerdict {
      oldProvider(G_COUNTER, old);
      if (old.kind !== G_COUNTER) return Compat.incompatible(`g-counter cannot take over '${old.kind}' state`);
      return old.formatVersion === FORMAT
        ? Compat.compatible()
        : Compat.incompatible(
            `g-counter v3 changes the persisted encoding and ships no migration from format ${String(old.formatVersion)}; reload to a version that migrates`,
          );
    },
    samples: () => gCounter().samples(),
  });
}
