/**
 * Argument checks of the index kinds: provider options, build options, and the state an index
 * handle is made of. A wrong argument is an `INVALID_ARGUMENT` `ReloadError` naming it.
 */
import { ReloadError } from '@baton/core';
import { isArrowDataType } from 'apache-arrow';
import { describeArgument } from '../codec/describeArgument.js';
import type { FlatVectorIndexState } from './flatVectorData.js';
import { isTypedArray } from './indexSnapshot.js';
import { DEFAULT_MAX_INDEX_BYTES, DEFAULT_MAX_PROBE_RESULTS, MAX_VECTOR_DIM } from './indexLimits.js';
import type { OrderedIndexState } from './orderedIndexState.js';
import { keyFamily } from './orderedKeys.js';
import type { NumericKeyArray } from './orderedKeys.js';
import { isVectorMetric } from './vectorMetric.js';

/** The `INVALID_ARGUMENT` error of a wrong provider option or handle state of index kind `kind`. */
export function invalidIndexOption(kind: string, message: string): ReloadError {
  return new ReloadError({
    code: 'INVALID_ARGUMENT',
    phase: 'call',
    kind: 'indexKind',
    key: kind,
    message: `'${kind}' index: ${message}`,
  });
}

/** The limits every index provider takes, checked. */
export interface IndexLimits {
  readonly maxBytes: number;
  readonly maxProbeResults: number;
  readonly verify: boolean;
}

/**
 * The options of a provider factory (`flatVectorIndex(options)`), checked: undefined or an
 * object holding only these and the kind's own `extra` options; `maxBytes` a positive safe
 * integer, `maxProbeResults` a non-negative one, `verifyChecksum` a boolean, each optional.
 * Returns them and the object (for kind-specific ones).
 */
export function indexOptions(
  kind: string,
  options: unknown,
  extra: readonly string[] = [],
): IndexLimits & { readonly given: Record<string, unknown> } {
  if (options !== undefined && (typeof options !== 'object' || options === null))
    throw invalidIndexOption(kind, `options must be an object, not ${describeArgument(options)}`);
  const given = (options ?? {}) as Record<string, unknown>;
  const known = ['maxBytes', 'maxProbeResults', 'verifyChecksum', ...extra];
  const unknown = Object.keys(given).filter((key) => !known.includes(key));
  if (unknown.length > 0)
    throw invalidIndexOption(
      kind,
      `unknown option(s) ${unknown.map((key) => `'${key}'`).join(', ')} (known: ${known.join(', ')})`,
    );
  const integer = (name: string, fallback: number, min: number): number => {
    const value = given[name] ?? fallback;
    if (!Number.isSafeInteger(value) || (value as number) < min)
      throw invalidIndexOption(kind, `${name} must be a safe integer ≥ ${min}, not ${describeArgument(value)}`);
    return value as number;
  };
  const verify = given['verifyChecksum'] ?? true;
  if (typeof verify !== 'boolean')
    throw invalidIndexOption(kind, `verifyChecksum must be a boolean, not ${describeArgument(verify)}`);
  return {
    maxBytes: integer('maxBytes', DEFAULT_MAX_INDEX_BYTES, 1),
    maxProbeResults: integer('maxProbeResults', DEFAULT_MAX_PROBE_RESULTS, 0),
    verify,
    given,
  };
}

/** Checks that `options` of `build` is an object (the column and params are checked by the kind). */
export function checkBuildOptions(kind: string, options: unknown): void {
  if (typeof options !== 'object' || options === null)
    throw invalidIndexOption(kind, `build needs options { column, params? }, not ${describeArgument(options)}`);
}

/** Throws `INVALID_ARGUMENT` unless `ok` (the state handed to a handle's constructor is one its provider makes). */
export function checkHandleState(kind: string, handle: string, ok: boolean): void {
  if (!ok) throw invalidIndexOption(kind, `a ${handle} is made by its provider's build or open`);
}

const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
const isUint32 = (value: unknown): boolean => isCount(value) && value <= 0xffff_ffff;
/** A live typed array of `type`, checked by its internal slot (`instanceof` takes a prototype-made fake for one). */
const isView = <T extends ArrayBufferView>(value: unknown, type: abstract new (...args: never[]) => T): value is T =>
  isTypedArray(value, type.name);

/** True when `state` is what a flat vector provider hands {@link FlatVectorIndexHandle}'s constructor. */
export function isFlatVectorState(state: unknown): state is FlatVectorIndexState {
  if (typeof state !== 'object' || state === null) return false;
  const { metric, dim, count, vectors, rowIds, crc32, maxProbeResults, persistFormat } = state as Record<
    string,
    unknown
  >;
  return (
    isVectorMetric(metric) &&
    isCount(dim) &&
    dim >= 1 &&
    dim <= MAX_VECTOR_DIM &&
    isCount(count) &&
    isView(vectors, Float32Array) &&
    vectors.length === count * dim &&
    (rowIds === undefined || (isView(rowIds, Uint32Array) && rowIds.length === count)) &&
    isUint32(crc32) &&
    isCount(maxProbeResults) &&
    (persistFormat === undefined || persistFormat === 1 || persistFormat === 2)
  );
}

/** True when `state` is what an ordered provider hands {@link OrderedIndexHandle}'s constructor. */
export function isOrderedState(state: unknown): state is OrderedIndexState {
  if (typeof state !== 'object' || state === null) return false;
  const { keys, crc32, maxProbeResults } = state as Record<string, unknown>;
  if (typeof keys !== 'object' || keys === null || !isUint32(crc32) || !isCount(maxProbeResults)) return false;
  const { type, family, count, values, offsets, bytes, rowIds } = keys as Record<string, unknown>;
  if (!isArrowDataType(type) || keyFamily(type) !== family || !isCount(count)) return false;
  if (!isView(rowIds, Uint32Array) || rowIds.length !== count) return false;
  if (family === 'utf8')
    return isView(offsets, Int32Array) && offsets.length === count + 1 && isView(bytes, Uint8Array);
  const ArrayType = type.ArrayType as abstract new (...args: never[]) => NumericKeyArray;
  return isView(values, ArrayType) && values.length === count;
}
