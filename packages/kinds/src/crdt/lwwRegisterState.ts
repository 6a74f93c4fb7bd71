import type { CrdtState } from '@baton/core';
import { encodeEnvelope } from '../codec/envelope.js';
import { bodySchema } from '../codec/bodySchema.js';
import type { BodySchema } from '../codec/bodySchemaTypes.js';
import type { BodyReader } from './bodyReader.js';
import { numberSchema, primitiveSchema, replicaIdSchema } from './crdtSchemas.js';
import { sameKindState } from './crdtProvider.js';
import { OpFields } from './opFields.js';
import { isFormatVersion } from '../codec/envelopeArguments.js';
import { describeValue, invalidCrdtArgument } from './crdtErrors.js';
import { comparePrimitives, ownPrimitive, primitiveProblem, replicaIdProblem } from './primitive.js';
import type { CrdtPrimitive } from './primitive.js';
import { decodeDelta, deltaLimitOf, encodeDelta, limitDeltas, StateMark } from './crdtDelta.js';

/** The kind name of the LWW-Register. */
export const LWW_REGISTER = 'lww-register';

/**
 * An LWW-Register operation: replica `replica` (the replica applying it) writes `value` at
 * `timestamp` (a finite number ≥ 0: wall-clock milliseconds or a hybrid logical clock).
 */
export interface LwwRegisterOp {
  readonly replica: string;
  readonly value: CrdtPrimitive;
  readonly timestamp: number;
}

/** The winning write of a register. */
export interface LwwWrite {
  readonly value: CrdtPrimitive;
  readonly timestamp: number;
  readonly replica: string;
}

/**
 * A last-writer-wins register of one {@link CrdtPrimitive}. The write with the greatest timestamp
 * wins; equal timestamps are broken by the greater replica id (UTF-16 order), and a replica that
 * wrote twice at the same timestamp by the greater value ({@link comparePrimitives}), so every
 * replica picks the same winner whatever the order writes arrive in. A write older than the
 * current one is ignored (it lost). The value is `undefined` until the first write.
 *
 * Persisted body (format 1): `[]` when empty, else `[timestamp, replica, value]`.
 */
export class LwwRegisterState implements CrdtState<LwwRegisterOp, CrdtPrimitive | undefined> {
  readonly #formatVersion: number;
  #write: LwwWrite | undefined;

  /** @internal The kind's own way to make one (providers, formats, tests). */
  static create(formatVersion: number, write?: LwwWrite): LwwRegisterState {
    return new LwwRegisterState(formatVersion, write);
  }

  /** Use a provider (`INVALID_ARGUMENT` for a format version or write that is not one). */
  private constructor(formatVersion: number, write?: LwwWrite) {
    if (!isFormatVersion(formatVersion))
      throw invalidCrdtArgument(
        LWW_REGISTER,
        `${describeValue(formatVersion)} is not a format version (use a provider)`,
      );
    if (write !== undefined) checkWrite(write, 'the write');
    this.#formatVersion = formatVersion;
    this.#write = write;
  }

  /** Writes `op.value` if it beats the current write. `INVALID_ARGUMENT` for a bad op. */
  apply(op: LwwRegisterOp): void {
    const fields = new OpFields(LWW_REGISTER, op);
    const write: LwwWrite = {
      replica: fields.replica(),
      timestamp: fields.nonNegative('timestamp'),
      value: fields.primitive('value'),
    };
    this.#offer(write);
  }

  /** Keeps the winner of both registers' writes. */
  merge(other: CrdtState<LwwRegisterOp, CrdtPrimitive | undefined>): void {
    const write = sameKindState(LWW_REGISTER, other, LwwRegisterState).#write;
    if (write !== undefined) this.#offer(write);
  }

  /**
   * A mark. The register is one write, so it tracks nothing: its `delta()` is the current write in
   * an `lww-register.delta` envelope, format 1 (`[]` or `[timestamp, replica, value]`, as persisted),
   * and `changed()` says whether another write has won since.
   */
  mark(): StateMark {
    const atMark = this.#write;
    return new StateMark(
      LWW_REGISTER,
      () => encodeDelta(LWW_REGISTER, 1, this.#body()),
      () => undefined,
      // A winning write replaces the write object, never edits it.
      () => this.#write !== atMark,
    );
  }

  /** Keeps the winner of this register's write and a delta's; anything but a sound delta is `CORRUPT_INPUT`. */
  mergeDelta(delta: Uint8Array): void {
    const { body, reader } = decodeDelta(LWW_REGISTER, delta, { 1: LWW_REGISTER_BODY }, deltaLimitOf(this));
    const write = decodeLwwRegisterBody(body, reader);
    if (write !== undefined) this.#offer(write);
  }

  /** @internal What open marks record: nothing (see {@link mark}). */
  get trackedChanges(): number {
    return 0;
  }

  /** The current value (a copy, for bytes), or `undefined` before the first write. */
  value(): CrdtPrimitive | undefined {
    return this.#write === undefined ? undefined : ownPrimitive(this.#write.value);
  }

  /** The winning write with its timestamp and replica, or `undefined` before the first write. */
  write(): LwwWrite | undefined {
    return this.#write === undefined ? undefined : { ...this.#write, value: ownPrimitive(this.#write.value) };
  }

  /** The state in an `lww-register` envelope. */
  persist(): Uint8Array {
    return encodeEnvelope(LWW_REGISTER, this.#formatVersion, this.#body());
  }

  #body(): unknown[] {
    const w = this.#write;
    return w === undefined ? [] : [w.timestamp, w.replica, w.value];
  }

  /** True when `other` is an LWW-Register holding the same write. */
  equals(other: CrdtState<LwwRegisterOp, CrdtPrimitive | undefined>): boolean {
    if (!(other instanceof LwwRegisterState)) return false;
    const [a, b] = [this.#write, other.#write];
    return a === undefined || b === undefined ? a === b : orderWrites(a, b) === 0;
  }

  /** An independent copy. */
  clone(): LwwRegisterState {
    const copy = limitDeltas(LwwRegisterState.create(this.#formatVersion), deltaLimitOf(this));
    copy.#write = this.#write;
    return copy;
  }

  #offer(write: LwwWrite): void {
    if (this.#write === undefined || orderWrites(write, this.#write) > 0) this.#write = write;
  }
}

/**
 * Orders writes by timestamp, then replica id, then value; the greater one wins. Each must be a
 * write (`{ value, timestamp, replica }`: a CRDT primitive, a finite number ≥ 0, a replica id),
 * else `INVALID_ARGUMENT`.
 */
export function compareWrites(a: LwwWrite, b: LwwWrite): number {
  checkWrite(a, 'the first write');
  checkWrite(b, 'the second write');
  return orderWrites(a, b);
}

/** {@link compareWrites} of writes known to be valid. */
function orderWrites(a: LwwWrite, b: LwwWrite): number {
  if (a.timestamp !== b.timestamp) return a.timestamp < b.timestamp ? -1 : 1;
  if (a.replica !== b.replica) return a.replica < b.replica ? -1 : 1;
  return comparePrimitives(a.value, b.value);
}

/** Checks that `write` is a {@link LwwWrite} (`INVALID_ARGUMENT` naming `what` otherwise). */
function checkWrite(write: unknown, what: string): asserts write is LwwWrite {
  const fields = typeof write === 'object' && write !== null ? (write as Partial<Record<string, unknown>>) : undefined;
  const timestamp = fields?.['timestamp'];
  const problem =
    fields === undefined
      ? `${describeValue(write)} is not a write { value, timestamp, replica }`
      : typeof timestamp !== 'number' || !Number.isFinite(timestamp) || timestamp < 0
        ? `timestamp: ${describeValue(timestamp)} is not a finite number ≥ 0`
        : (replicaIdProblem(fields['replica']) ?? primitiveProblem(fields['value']));
  if (problem !== undefined) throw invalidCrdtArgument(LWW_REGISTER, `${what}: ${problem}`);
}

/** What an LWW-Register body (format 1) may hold: `[]` or `[timestamp, replica, value]`. */
export const LWW_REGISTER_BODY: BodySchema = bodySchema.tupleOrEmpty(numberSchema, replicaIdSchema, primitiveSchema);

/** The write of a persisted LWW-Register body (`[]` or `[timestamp, replica, value]`), checked strictly. */
export function decodeLwwRegisterBody(body: unknown, reader: BodyReader): LwwWrite | undefined {
  const items = reader.array(body, 'the body [timestamp, replica, value]');
  if (items.length === 0) return undefined;
  const [timestamp, replica, value] = reader.array(items, 'the body [timestamp, replica, value]', 3);
  return {
    timestamp: reader.nonNegative(timestamp, 'timestamp'),
    replica: reader.replicaId(replica, 'replica'),
    value: reader.primitive(value, 'value'),
  };
}
