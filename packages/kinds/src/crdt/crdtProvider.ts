import type { CrdtKindProvider, CrdtState } from '@baton/core';
import { DEFAULT_MAX_ENVELOPE_BYTES } from '../codec/envelope.js';
import { describeValue, invalidCrdtArgument } from './crdtErrors.js';

/** Options of every CRDT provider factory of this package (`pnCounter(options)` and the others). */
export interface CrdtProviderOptions {
  /**
   * Largest persisted state `fromPersisted` accepts, in bytes (default
   * `DEFAULT_MAX_ENVELOPE_BYTES`, 16 MiB), checked before anything is decoded; also the largest
   * delta the provider's states accept in `mergeDelta`. Reading `n` bytes
   * takes at most `crdtLimits.memoryPerInputByte × n` bytes of memory.
   */
  readonly maxBytes?: number;
}

/**
 * A CRDT provider of this package. Everything is synchronous (a valid `CrdtKindProvider`, whose
 * methods may also return promises), and `empty()` / `fromPersisted()` return the concrete state
 * class, so callers get its extra methods (`clone`, `equals`, …) without a cast.
 */
export interface CrdtProvider<State extends CrdtState<Op, Value>, Op, Value> extends CrdtKindProvider<Op, Value> {
  readonly kind: string;
  readonly formatVersion: number;
  /** A new, empty state. */
  empty(): State;
  /** Reads bytes persisted by this kind; `CORRUPT_INPUT` for anything else. */
  fromPersisted(bytes: Uint8Array): State;
  /** Op sequences reaching representative non-empty states (several replicas, every op type). */
  samples(): Iterable<readonly Op[]>;
}

/**
 * The options of a CRDT provider factory, checked: undefined or an object holding only `maxBytes`
 * and the kind's own `extra` options; `maxBytes` a positive safe integer (default
 * `DEFAULT_MAX_ENVELOPE_BYTES`). `INVALID_ARGUMENT` otherwise. Returns `maxBytes` and the options.
 */
export function crdtOptions(
  kind: string,
  options: unknown,
  extra: readonly string[] = [],
): { readonly maxBytes: number; readonly given: Readonly<Record<string, unknown>> } {
  if (options !== undefined && (typeof options !== 'object' || options === null))
    throw invalidCrdtArgument(kind, `options must be an object, not ${describeValue(options)}`);
  const given = (options ?? {}) as Readonly<Record<string, unknown>>;
  const known = ['maxBytes', ...extra];
  const unknown = Object.keys(given).filter((key) => !known.includes(key));
  if (unknown.length > 0)
    throw invalidCrdtArgument(
      kind,
      `unknown option(s) ${unknown.map((key) => `'${key}'`).join(', ')} (known: ${known.join(', ')})`,
    );
  const maxBytes = given['maxBytes'] ?? DEFAULT_MAX_ENVELOPE_BYTES;
  if (!Number.isSafeInteger(maxBytes) || (maxBytes as number) <= 0) {
    throw invalidCrdtArgument(
      kind,
      `maxBytes must be a positive safe integer, not ${typeof maxBytes === 'number' ? maxBytes : describeValue(maxBytes)}`,
    );
  }
  return { maxBytes: maxBytes as number, given };
}

/**
 * `old`, the provider a compat check is asked about, when it is one: an object whose `kind` is a
 * string and whose `formatVersion` is a number or absent (`INVALID_ARGUMENT` otherwise).
 */
export function oldProvider(kind: string, old: unknown): CrdtKindProvider {
  const fields = typeof old === 'object' && old !== null ? (old as Partial<Record<string, unknown>>) : undefined;
  if (
    fields === undefined ||
    typeof fields['kind'] !== 'string' ||
    (fields['formatVersion'] !== undefined && typeof fields['formatVersion'] !== 'number')
  )
    throw invalidCrdtArgument(
      kind,
      `a compat check needs the old provider ({ kind, formatVersion }), not ${describeValue(old)}`,
    );
  return old as CrdtKindProvider;
}

/**
 * `other` as an instance of `type`, for `merge`: a state of another kind (or another class) is an
 * `INVALID_ARGUMENT` error. (Hosts merging across versions pass bytes through `fromPersisted`.)
 */
export function sameKindState<T extends object>(
  kind: string,
  other: unknown,
  type: { readonly prototype: T; readonly name: string },
): T {
  // instanceof, for classes whose constructor is private (made through their `create`).
  if (typeof other === 'object' && other !== null && Object.prototype.isPrototypeOf.call(type.prototype, other))
    return other as T;
  throw invalidCrdtArgument(
    kind,
    `cannot merge ${describeValue(other)} into a ${type.name}: merge needs a state of the same kind (read other versions' bytes with fromPersisted)`,
  );
}
