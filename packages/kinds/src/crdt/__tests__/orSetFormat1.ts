/**
 * The OR-Set of the previous release, for migration tests: format-1 bytes
 * (`[replicas, context, elements, dots]`) of any state, and a provider writing them.
 */
import type { CrdtKindProvider, CrdtState } from '@baton/core';
import { decodeEnvelope, encodeEnvelope } from '../../codec/envelope.js';
import { orSet } from '../orSet.js';
import type { OrSetOp, OrSetState } from '../orSetState.js';
import type { CrdtPrimitive } from '../primitive.js';

/**
 * Format-1 bytes of an OR-Set persisted in format 2: both hold the same replica table, context and
 * dots; format 1 lists the elements (the state's value, in order) as one msgpack array.
 */
export function toFormat1(bytes: Uint8Array): Uint8Array {
  const { body } = decodeEnvelope(bytes, { kind: 'or-set', versions: [2] });
  const [replicas, context, , , , , dots] = body as unknown[];
  return encodeEnvelope('or-set', 1, [replicas, context, orSet().fromPersisted(bytes).value(), dots]);
}

/** A state of {@link orSetFormat1}: an OR-Set persisting format 1. */
class Format1State implements CrdtState<OrSetOp, CrdtPrimitive[]> {
  constructor(readonly inner: OrSetState) {}
  apply(op: OrSetOp): void {
    this.inner.apply(op);
  }
  merge(other: CrdtState<OrSetOp, CrdtPrimitive[]>): void {
    this.inner.merge(other instanceof Format1State ? other.inner : other);
  }
  value(): CrdtPrimitive[] {
    return this.inner.value();
  }
  persist(): Uint8Array {
    return toFormat1(this.inner.persist());
  }
}

/** The OR-Set provider of the previous release: writes and reads format 1 only. */
export const orSetFormat1: CrdtKindProvider<OrSetOp, CrdtPrimitive[]> = Object.freeze({
  kind: 'or-set',
  formatVersion: 1,
  empty: () => new Format1State(orSet().empty()),
  fromPersisted(bytes: Uint8Array): Format1State {
    decodeEnvelope(bytes, { kind: 'or-set', versions: [1] });
    return new Format1State(orSet().fromPersisted(bytes));
  },
  samples: () => orSet().samples(),
});
