import { Compat, ReloadError } from '@baton/core';
import type { CompatVerdict, CrdtState } from '@baton/core';
import { crdtLimits, PN_COUNTER, pnCounter, PnCounterState } from '@baton/kinds';
import type { CrdtProvider, PnCounterOp } from '@baton/kinds';
import { bodySchema, decodeEnvelope, encodeEnvelope } from '@baton/kinds/codec';

/** The format the lossy PN-Counter claims: 2, the same body as format 1 (`[replicaIds, p, n]`). */
const FORMAT = 2;
const MAX_REPLICAS = 1 << 24;
const counts = bodySchema.list(bodySchema.number(), MAX_REPLICAS);
const BODY = bodySchema.tuple(
  bodySchema.list(bodySchema.str(1, 3 * crdtLimits.maxReplicaIdLength), MAX_REPLICAS),
  counts,
  counts,
);

/**
 * A state of {@link lossyPnCounter}: a sound PN-Counter (the counting of `@baton/kinds`' own) that
 * persists as format 2. Only reading bytes loses data.
 */
export class LossyPnCounterState implements CrdtState<PnCounterOp, number> {
  readonly #counter: PnCounterState;

  /** A state over `counter` (a PN-Counter state it takes over). */
  constructor(counter: PnCounterState = pnCounter().empty()) {
    if (!(counter instanceof PnCounterState))
      throw new ReloadError({
        code: 'INVALID_ARGUMENT',
        phase: 'call',
        kind: 'crdtKind',
        key: PN_COUNTER,
        message: `'${PN_COUNTER}': a LossyPnCounterState takes over a PnCounterState`,
      });
    this.#counter = counter;
  }

  /** The format version `persist()` writes: 2. */
  get formatVersion(): number {
    return FORMAT;
  }

  /** Adds `op.by` for `op.replica` (`INVALID_ARGUMENT` for a bad op, as `PnCounterState.apply`). */
  apply(op: PnCounterOp): void {
    this.#counter.apply(op);
  }

  /** Merges `other`, a state of this provider or any `PnCounterState`, by per-replica maximum. */
  merge(other: CrdtState<PnCounterOp, number>): void {
    this.#counter.merge(other instanceof LossyPnCounterState ? other.#counter : other);
  }

  /** sum(P) − sum(N). */
  value(): number {
    return this.#counter.value();
  }

  /** The state as a format-2 `pn-counter` envelope (the body of format 1 under version 2). */
  persist(): Uint8Array {
    const { body } = decodeEnvelope(this.#counter.persist(), { kind: PN_COUNTER, versions: [1] });
    return encodeEnvelope(PN_COUNTER, FORMAT, body);
  }

  /** True when `other` holds the same P and N counts. */
  equals(other: CrdtState<PnCounterOp, number>): boolean {
    return other instanceof LossyPnCounterState && this.#counter.equals(other.#counter);
  }

  /** An independent copy. */
  clone(): LossyPnCounterState {
    return new LossyPnCounterState(this.#counter.clone());
  }
}

/**
 * COUNTEREXAMPLE — not for production. A "PN-Counter v2" (format 2) that claims to take over v1
 * state as is (`schemaCompatCheck` answers compatible) but whose `fromPersisted` keeps only the P
 * half of the bytes and silently drops every decrement.
 *
 * The empty state round-trips fine (0 → 0), so a check of the empty state alone would wave it
 * through; `checkCrdtCompat` from `@baton/core` visits reachable states (the old provider's
 * samples, which count down) and returns `incompatible`. The demo and the tests use it to show
 * that check. Bytes that are no PN-Counter state of format 1 or 2 are `CORRUPT_INPUT`.
 */
export function lossyPnCounter(): CrdtProvider<LossyPnCounterState, PnCounterOp, number> {
  const real = pnCounter();
  return Object.freeze({
    kind: PN_COUNTER,
    formatVersion: FORMAT,
    empty: () => new LossyPnCounterState(),
    fromPersisted(bytes: Uint8Array): LossyPnCounterState {
      const { body } = decodeEnvelope(bytes, { kind: PN_COUNTER, versions: [1, FORMAT], bodies: { 1: BODY, 2: BODY } });
      // The whole body is checked as the real PN-Counter checks it; then N is dropped.
      const full = real.fromPersisted(encodeEnvelope(PN_COUNTER, 1, body));
      const increments = pnCounter().empty();
      for (const replica of (body as [string[], unknown, unknown])[0]) {
        const { p } = full.counts(replica);
        if (p > 0) increments.apply({ replica, by: p });
      }
      return new LossyPnCounterState(increments);
    },
    // The false claim: v1 state is said to be readable as is.
    schemaCompatCheck: (): CompatVerdict => Compat.compatible(),
    samples: () => real.samples(),
  });
}
