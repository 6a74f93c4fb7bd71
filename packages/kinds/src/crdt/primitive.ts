import { isDetached } from '../codec/envelopeArguments.js';
import { describeValue, invalidCrdtArgument } from './crdtErrors.js';

/**
 * The value domain of LWW-Register values and OR-Set elements: msgpack-encodable primitives that
 * survive a persist → fromPersisted round trip unchanged and compare deterministically.
 *
 * - `string`: well-formed UTF-16 (no lone surrogates, which UTF-8 cannot carry), at most
 *   {@link crdtLimits}`.maxStringLength` code units;
 * - `number`: finite (`NaN` and `±Infinity` are refused; `-0` is stored as `0`);
 * - `bigint`: in [-2^1024, 2^1024);
 * - `boolean`;
 * - `Uint8Array` (a `Buffer` is accepted and copied): at most {@link crdtLimits}`.maxBytesLength` bytes.
 *
 * `1`, `1n` and `'1'` are three different values.
 */
export type CrdtPrimitive = string | number | bigint | boolean | Uint8Array;

/** Size limits shared by every CRDT kind; ops beyond them are refused, and so are persisted states. */
export const crdtLimits = Object.freeze({
  /** Longest replica id, in UTF-16 code units. */
  maxReplicaIdLength: 256,
  /** Longest string value or element, in UTF-16 code units. */
  maxStringLength: 1 << 20,
  /** Longest byte-string value or element. */
  maxBytesLength: 1 << 20,
  /** Bigints lie in [-2^maxBigIntBits, 2^maxBigIntBits). */
  maxBigIntBits: 1024,
  /**
   * Peak memory `fromPersisted` of any kind here takes per input byte, at most: `F` in "reading `n`
   * bytes takes at most `F × n` bytes of memory". Bytes that are not a state of the kind are refused
   * on the bytes, before anything is decoded, for about one byte per input byte (the private copy
   * of the payload); a state is decoded straight into the tables it keeps. The worst input is a
   * valid PN-Counter of a million replicas with 1–3 character ids, both halves counted: its peak
   * resident memory was 29–41 bytes per input byte (inputs of 4–16 MiB; the state itself is 18,
   * the rest garbage of growing maps that V8 collects only when it needs the room: a heap of 25
   * bytes per input byte is enough to decode it, 35 to merge it). A merge of such bytes into a live state
   * (`ManagedCrdt.merge(bytes)`) holds the state read and the merged one: at most twice this
   * (measured at most 64: a PN-Counter, and 58 for an OR-Set of 1–3 byte elements, whose merged
   * entries are indexed). `npm run fuzz` measures every decoder on crafted inputs.
   * `DEFAULT_MAX_ENVELOPE_BYTES` × this fits Node's default heap.
   */
  memoryPerInputByte: 48,
});

const BIGINT_BOUND = 2n ** BigInt(crdtLimits.maxBigIntBits);

/** True when `s` has no lone surrogate (Node 20 has `String.prototype.isWellFormed`). */
function isWellFormed(s: string): boolean {
  return (s as string & { isWellFormed(): boolean }).isWellFormed();
}

/** Why `value` is not a {@link CrdtPrimitive}, or `undefined` when it is one. */
export function primitiveProblem(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      if (value.length > crdtLimits.maxStringLength)
        return `a string of ${value.length} code units exceeds the limit of ${crdtLimits.maxStringLength}`;
      return isWellFormed(value) ? undefined : 'a string with a lone surrogate cannot be encoded';
    case 'number':
      return Number.isFinite(value) ? undefined : `${value} is not a finite number`;
    case 'bigint':
      return value >= -BIGINT_BOUND && value < BIGINT_BOUND
        ? undefined
        : `a bigint beyond ${crdtLimits.maxBigIntBits} bits`;
    case 'boolean':
      return undefined;
    case 'object':
      if (value instanceof Uint8Array) {
        if (isDetached(value)) return 'bytes whose buffer is detached (transferred away) cannot be stored';
        return value.byteLength > crdtLimits.maxBytesLength
          ? `${value.byteLength} bytes exceed the limit of ${crdtLimits.maxBytesLength}`
          : undefined;
      }
      return `${value === null ? 'null' : (value.constructor?.name ?? 'an object')} is not a CRDT primitive (string, number, bigint, boolean or Uint8Array)`;
    case 'undefined':
    case 'function':
    case 'symbol':
      return `a ${typeof value} is not a CRDT primitive (string, number, bigint, boolean or Uint8Array)`;
  }
}

/** Why `value` is not a replica id (a non-empty well-formed string of bounded length), or `undefined`. */
export function replicaIdProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return `a replica id must be a string, not ${value === null ? 'null' : typeof value}`;
  if (value.length === 0) return 'a replica id must not be empty';
  if (value.length > crdtLimits.maxReplicaIdLength)
    return `a replica id of ${value.length} code units exceeds the limit of ${crdtLimits.maxReplicaIdLength}`;
  return isWellFormed(value) ? undefined : 'a replica id with a lone surrogate cannot be encoded';
}

/**
 * The stored form of a valid primitive: `-0` becomes `0` and bytes are copied into a plain
 * `Uint8Array` (so later changes to the caller's buffer cannot reach the state).
 */
export function ownPrimitive(value: CrdtPrimitive): CrdtPrimitive {
  if (value instanceof Uint8Array) return new Uint8Array(value);
  return value === 0 ? 0 : value;
}

const RANK = { boolean: 0, number: 1, bigint: 2, string: 3, object: 4 } as const;

/**
 * Total order on primitives: by type (boolean < number < bigint < string < bytes), then by value
 * (strings by UTF-16 code units, bytes lexicographically then by length). A value of another type
 * is `INVALID_ARGUMENT` (only the type is checked here, not the limits of {@link primitiveProblem}).
 */
export function comparePrimitives(a: CrdtPrimitive, b: CrdtPrimitive): number {
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  const ta = typeof a as keyof typeof RANK;
  const tb = typeof b as keyof typeof RANK;
  if (!isPrimitiveType(a, ta) || !isPrimitiveType(b, tb))
    throw invalidCrdtArgument(
      'primitive',
      `comparePrimitives compares CRDT primitives, not ${describeValue(isPrimitiveType(a, ta) ? b : a)}`,
    );
  if (ta !== tb) return RANK[ta] - RANK[tb];
  if (a instanceof Uint8Array) return Buffer.compare(a, b as Uint8Array);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** True when `value`, of `typeof` `type`, is of a {@link CrdtPrimitive} type. */
function isPrimitiveType(value: unknown, type: string): boolean {
  return Object.hasOwn(RANK, type) && (type !== 'object' || value instanceof Uint8Array);
}
