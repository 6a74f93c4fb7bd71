import type { CrdtState } from '@baton/core';
import { encodeEnvelope } from '../codec/envelope.js';
import { bodySchema } from '../codec/bodySchema.js';
import type { BodySchema } from '../codec/bodySchemaTypes.js';
import type { BodyReader } from './bodyReader.js';
import { isIntegerIn } from './bodyReader.js';
import { MAX_STATE_ENTRIES, numbersSchema, replicaIdsSchema } from './crdtSchemas.js';
import { sameKindState } from './crdtProvider.js';
import { isFormatVersion } from '../codec/envelopeArguments.js';
import { invalidCrdtArgument } from './crdtErrors.js';
import { OpFields } from './opFields.js';
import { replicaIdProblem } from './primitive.js';
import { ReplicaCounts } from './replicaCounts.js';
import { decodeDelta, deltaLimitOf, encodeDelta, limitDeltas, StateMark } from './crdtDelta.js';
import { PN_COUNTER_DELTA_BODIES, readCountsDelta } from './countsDelta.js';

/** The kind name of the PN-Counter. */
export const PN_COUNTER = 'pn-counter';

/**
 * A PN-Counter operation: replica `replica` (the replica applying it) adds `by`, a non-zero safe
 * integer (negative to count down).
 */
export interface PnCounterOp {
  readonly replica: string;
  readonly by: number;
}

/**
 * A counter that counts up and down: two grow-only halves, P (increments) and N (decrements), each
 * one count per replica merged by maximum. The value is sum(P) − sum(N), a number exact while the
 * sums stay within `Number.MAX_SAFE_INTEGER`. Each replica applies only its own ops.
 *
 * Persisted body (format 1): `[replicaIds, p, n]`, parallel arrays over every replica with a
 * count (a missing half is 0; a row with both halves 0 is never written).
 */
export class PnCounterState implements CrdtState<PnCounterOp, number> {
  readonly #formatVersion: number;
  readonly #p: ReplicaCounts;
  readonly #n: ReplicaCounts;

  /** @internal The kind's own way to make one (providers, formats, tests). */
  static create(formatVersion: number, p = new ReplicaCounts(), n = new ReplicaCounts()): PnCounterState {
    return new PnCounterState(formatVersion, p, n);
  }

  /** Use a provider (`INVALID_ARGUMENT` for arguments a provider would not pass). */
  private constructor(formatVersion: number, p = new ReplicaCounts(), n = new ReplicaCounts()) {
    if (!isFormatVersion(formatVersion) || !(p instanceof ReplicaCounts) || !(n instanceof ReplicaCounts))
      throw invalidCrdtArgument(
        PN_COUNTER,
        'a PnCounterState is made by a provider (pnCounter().empty(), fromPersisted)',
      );
    this.#formatVersion = formatVersion;
    this.#p = p;
    this.#n = n;
  }

  /** The format version `persist()` writes. */
  get formatVersion(): number {
    return this.#formatVersion;
  }

  /** Adds `op.by` for `op.replica`. `INVALID_ARGUMENT` for a bad op, `by` = 0 or a half beyond 2^53 − 1. */
  apply(op: PnCounterOp): void {
    const fields = new OpFields(PN_COUNTER, op);
    const replica = fields.replica();
    const by = fields.integer('by', -this.#n.headroom(replica), this.#p.headroom(replica));
    if (by === 0) throw fields.fail('by', 'must not be 0');
    if (by > 0) this.#p.add(replica, by);
    else this.#n.add(replica, -by);
  }

  /** Merges both halves by per-replica maximum. */
  merge(other: CrdtState<PnCounterOp, number>): void {
    const that = sameKindState(PN_COUNTER, other, PnCounterState);
    this.#p.mergeMax(that.#p);
    this.#n.mergeMax(that.#n);
  }

  /**
   * Starts tracking the replicas whose P or N count changes (by op, merge or `mergeDelta`). Its
   * `delta()` is a `pn-counter.delta` envelope, format 1 `[pReplicaIds, pCounts, nReplicaIds,
   * nCounts]`: those replicas and their current counts per half. Tracking stops on release.
   */
  mark(): StateMark {
    const [p, n] = [this.#p.track(), this.#n.track()];
    return new StateMark(
      PN_COUNTER,
      () => encodeDelta(PN_COUNTER, 1, [...this.#p.countsOf(p), ...this.#n.countsOf(n)]),
      () => {
        this.#p.untrack(p);
        this.#n.untrack(n);
      },
      () => p.size > 0 || n.size > 0,
    );
  }

  /** Merges a delta's halves by per-replica maximum; anything but a sound delta is `CORRUPT_INPUT`, nothing changed. */
  mergeDelta(delta: Uint8Array): void {
    const { body, reader } = decodeDelta(PN_COUNTER, delta, PN_COUNTER_DELTA_BODIES, deltaLimitOf(this));
    const [pIds, pCounts, nIds, nCounts] = reader.array(body, 'the delta [pIds, pCounts, nIds, nCounts]', 4);
    const p = readCountsDelta(pIds, pCounts, 'P', reader);
    const n = readCountsDelta(nIds, nCounts, 'N', reader);
    this.#p.mergeMax(p);
    this.#n.mergeMax(n);
  }

  /** @internal The replicas recorded for open marks, both halves (0 when none is open). */
  get trackedChanges(): number {
    return this.#p.tracked + this.#n.tracked;
  }

  /** sum(P) − sum(N). */
  value(): number {
    const p = this.#p.sum();
    const n = this.#n.sum();
    return p <= Number.MAX_SAFE_INTEGER && n <= Number.MAX_SAFE_INTEGER
      ? p - n
      : Number(this.#p.sumBig() - this.#n.sumBig());
  }

  /** The increments (P) and decrements (N, as positive counts) of one replica. */
  counts(replica: string): { readonly p: number; readonly n: number } {
    return { p: this.#p.get(replica), n: this.#n.get(replica) };
  }

  /** The state in a `pn-counter` envelope. */
  persist(): Uint8Array {
    const ids: string[] = [...this.#p.entries()].map(([id]) => id);
    for (const [id] of this.#n.entries()) if (this.#p.get(id) === 0) ids.push(id);
    const p = ids.map((id) => this.#p.get(id));
    const n = ids.map((id) => this.#n.get(id));
    return encodeEnvelope(PN_COUNTER, this.#formatVersion, [ids, p, n]);
  }

  /** True when `other` is a PN-Counter with the same P and N counts. */
  equals(other: CrdtState<PnCounterOp, number>): boolean {
    return other instanceof PnCounterState && other.#p.equals(this.#p) && other.#n.equals(this.#n);
  }

  /** An independent copy. */
  clone(): PnCounterState {
    return limitDeltas(new PnCounterState(this.#formatVersion, this.#p.clone(), this.#n.clone()), deltaLimitOf(this));
  }
}

/** What a PN-Counter body (format 1) may hold: `[replicaIds, p, n]`. */
export const PN_COUNTER_BODY: BodySchema = bodySchema.tuple(replicaIdsSchema, numbersSchema, numbersSchema);

/**
 * The P and N halves of a persisted PN-Counter body `[replicaIds, p, n]`, checked strictly and
 * built straight into the maps the state keeps.
 */
export function decodePnCounterBody(body: unknown, reader: BodyReader): { p: ReplicaCounts; n: ReplicaCounts } {
  const [idsPart, pPart, nPart] = reader.array(body, 'the body [replicaIds, p, n]', 3);
  const ids = reader.array(idsPart, 'replicaIds');
  const p = reader.array(pPart, 'p', ids.length);
  const n = reader.array(nPart, 'n', ids.length);
  const pCounts = new Map<string, number>();
  const nCounts = new Map<string, number>();
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] as string;
    if (replicaIdProblem(id) !== undefined) reader.replicaId(id, `replicaIds[${i}]`);
    const up = p[i];
    const down = n[i];
    if (!isIntegerIn(up, 0)) reader.integer(up, `p[${i}]`, 0);
    if (!isIntegerIn(down, 0)) reader.integer(down, `n[${i}]`, 0);
    if (up === 0 && down === 0)
      throw reader.fail(`replica ${JSON.stringify(id)} has neither increments nor decrements`);
    if (pCounts.has(id) || nCounts.has(id))
      throw reader.fail(`replicaIds[${i}]: replica id ${JSON.stringify(id)} appears twice`);
    if (pCounts.size === MAX_STATE_ENTRIES || nCounts.size === MAX_STATE_ENTRIES)
      throw reader.fail(`more than ${MAX_STATE_ENTRIES} replicas in a half`);
    if (up !== 0) pCounts.set(id, up as number);
    if (down !== 0) nCounts.set(id, down as number);
  }
  return { p: ReplicaCounts.adopt(pCounts), n: ReplicaCounts.adopt(nCounts) };
}
