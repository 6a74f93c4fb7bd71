/**
 * What every index kind's `adopt` checks of an {@link IndexSnapshot} before reading its layout:
 * that it is an object of the right kind naming a layout, with plain `meta`, an array of
 * `buffers` and a `byteLength` equal to theirs. A snapshot is trusted memory handed over inside
 * one process, so a wrong one is a caller's bug: `INVALID_ARGUMENT` (step `adopt`), never
 * `CORRUPT_INPUT` (which the kinds keep for bytes read from outside).
 */
import { ReloadError } from '@baton/core';
import type { IndexSnapshot } from '@baton/core';
import { describeArgument } from '../codec/describeArgument.js';
import { isDetached } from '../codec/envelopeArguments.js';

/** The `INVALID_ARGUMENT` error of a snapshot `adopt` refuses, naming the kind and what was wrong. */
export function invalidSnapshot(kind: string, reason: string): ReloadError {
  return new ReloadError({
    code: 'INVALID_ARGUMENT',
    phase: 'call',
    kind: 'indexKind',
    key: kind,
    step: 'adopt',
    message: `cannot adopt '${kind}' index snapshot: ${reason}`,
  });
}

/** A snapshot's parts, each read once (a getter cannot answer one thing to the check and another to the use). */
export interface SnapshotParts {
  readonly meta: Readonly<Record<string, unknown>>;
  readonly buffers: readonly ArrayBufferView[];
}

/**
 * The parts of `snapshot` when it is one of `kind` in `layout`; `undefined` when it is of `kind`
 * but in another layout (the caller answers `undefined`, and the reload persists and opens). A value
 * that is not a snapshot, a snapshot of another kind, a `meta` that is not a plain object, `buffers`
 * that are not an array of live typed arrays, or a `byteLength` other than theirs is `INVALID_ARGUMENT`.
 */
export function snapshotParts(snapshot: unknown, kind: string, layout: string): SnapshotParts | undefined {
  const fail = (reason: string): ReloadError => invalidSnapshot(kind, reason);
  if (typeof snapshot !== 'object' || snapshot === null)
    throw fail(`expected an IndexSnapshot object, not ${describeArgument(snapshot)}`);
  const {
    kind: madeBy,
    layout: named,
    meta,
    buffers,
    byteLength,
  } = snapshot as Partial<Record<keyof IndexSnapshot, unknown>>;
  if (madeBy !== kind) throw fail(`it was made by kind ${describeArgument(madeBy)}`);
  if (typeof named !== 'string') throw fail(`layout must be a string, not ${describeArgument(named)}`);
  if (named !== layout) return undefined;
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta))
    throw fail(`meta must be a plain object, not ${describeArgument(meta)}`);
  if (!Array.isArray(buffers)) throw fail(`buffers must be an array, not ${describeArgument(buffers)}`);
  const views = [...(buffers as unknown[])];
  let total = 0;
  views.forEach((view, i) => {
    if (typedArrayName(view) === undefined || isDetached(view as ArrayBufferView))
      throw fail(`buffers[${i}] is not a live typed array: ${describeArgument(view)}`);
    total += (view as ArrayBufferView).byteLength;
  });
  if (byteLength !== total)
    throw fail(`byteLength is ${describeArgument(byteLength)}, its buffers hold ${total} bytes`);
  return { meta: { ...(meta as Record<string, unknown>) }, buffers: views as ArrayBufferView[] };
}

/** Checks `meta` has exactly the keys of `layout` (a field more or less is another layout, not this one). */
export function checkMetaKeys(kind: string, meta: Readonly<Record<string, unknown>>, keys: readonly string[]): void {
  const extra = Object.keys(meta).filter((key) => !keys.includes(key));
  const missing = keys.filter((key) => !Object.hasOwn(meta, key));
  if (extra.length > 0 || missing.length > 0)
    throw invalidSnapshot(
      kind,
      `meta must hold exactly ${keys.join(', ')}${missing.length > 0 ? `; missing ${missing.join(', ')}` : ''}${
        extra.length > 0 ? `; unknown ${extra.join(', ')}` : ''
      }`,
    );
}

/** `%TypedArray%.prototype[Symbol.toStringTag]`'s getter: the name of a typed array, `undefined` for anything else. */
const typedArrayTag = (
  Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype) as object, Symbol.toStringTag) as {
    readonly get: (this: unknown) => string | undefined;
  }
).get;

/**
 * The constructor name of a real typed array (`'Float32Array'`, …), read from its internal slot:
 * `undefined` for anything else — an object made with `Object.create(Float32Array.prototype)`
 * included, which `instanceof` would take for one and whose every use throws a `TypeError`.
 */
export function typedArrayName(value: unknown): string | undefined {
  return typedArrayTag.call(value);
}

/** True when `value` is a live (not detached) typed array named `name`. */
export function isTypedArray(value: unknown, name: string): boolean {
  return typedArrayName(value) === name && !isDetached(value as ArrayBufferView);
}
