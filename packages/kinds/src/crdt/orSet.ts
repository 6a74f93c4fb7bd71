import { Compat } from '@baton/core';
import type { CompatVerdict, CrdtKindProvider } from '@baton/core';
import { decodeEnvelope } from '../codec/envelope.js';
import { BodyReader } from './bodyReader.js';
import { resolveMaxBytes } from './crdtProvider.js';
import type { CrdtProvider, CrdtProviderOptions } from './crdtProvider.js';
import { decodeOrSetBody } from './orSetCodec.js';
import { OR_SET, OrSetState } from './orSetState.js';
import type { OrSetOp } from './orSetState.js';
import type { CrdtPrimitive } from './primitive.js';

/** An OR-Set provider (`orSet` or one made by {@link createOrSet}). */
export type OrSetProvider = CrdtProvider<OrSetState, OrSetOp, CrdtPrimitive[]>;

/**
 * An add-wins OR-Set provider of format 1: `[replicas, context, elements, dots]` (replica table,
 * causal context, sorted elements, and one varint byte string of dots; no per-element objects).
 * See `PackedOrSet` for the exact layout.
 */
export function createOrSet(options?: CrdtProviderOptions): OrSetProvider {
  const maxBytes = resolveMaxBytes(OR_SET, options);
  return Object.freeze({
    kind: OR_SET,
    formatVersion: 1,
    empty: () => new OrSetState(),
    fromPersisted(bytes: Uint8Array): OrSetState {
      const { body } = decodeEnvelope(bytes, { kind: OR_SET, versions: [1], maxBytes });
      return new OrSetState(decodeOrSetBody(body, new BodyReader(OR_SET)));
    },
    schemaCompatCheck: (old: CrdtKindProvider): CompatVerdict =>
      old.kind === OR_SET && old.formatVersion === 1
        ? Compat.compatible()
        : Compat.incompatible(`or-set v1 cannot read '${old.kind}' format ${String(old.formatVersion)} state`),
    samples: orSetSamples,
  });
}

/** The OR-Set provider of format 1 (`createOrSet()`). */
export const orSet: OrSetProvider = createOrSet();

function* orSetSamples(): Generator<readonly OrSetOp[]> {
  yield [{ replica: 'a', add: 'x' }];
  // Adds of the same element by two replicas (two dots, as after concurrent adds), then removes.
  yield [
    { replica: 'a', add: 1 },
    { replica: 'b', add: 1 },
    { replica: 'a', add: 'y' },
    { replica: 'b', remove: 'y' },
    { replica: 'c', add: 'z' },
  ];
  // Remove then re-add: the new add's dot is unseen by the remove.
  yield [
    { replica: 'a', add: new Uint8Array([1, 2]) },
    { replica: 'a', remove: new Uint8Array([1, 2]) },
    { replica: 'b', add: new Uint8Array([1, 2]) },
    { replica: 'a', add: new Uint8Array([1, 2]) },
  ];
  // Every element type; 1, 1n and '1' are distinct.
  yield [
    { replica: 'a', add: true },
    { replica: 'b', add: 1 },
    { replica: 'b', add: 1n },
    { replica: 'c', add: '1' },
    { replica: 'c', add: -2.5 },
    { replica: 'a', add: 2n ** 80n },
    { remove: true },
  ];
}
