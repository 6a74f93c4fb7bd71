import { Compat } from '@baton/core';
import type { CompatVerdict, CrdtKindProvider } from '@baton/core';
import { decodeEnvelope } from '../codec/envelope.js';
import { BodyReader } from './bodyReader.js';
import { limitDeltas } from './crdtDelta.js';
import { crdtOptions, oldProvider } from './crdtProvider.js';
import type { CrdtProvider, CrdtProviderOptions } from './crdtProvider.js';
import { decodeOrSetBody, OR_SET_BODIES, OR_SET_FORMAT, OR_SET_READS } from './orSetFormats.js';
import { OR_SET, OrSetState } from './orSetState.js';
import type { OrSetOp } from './orSetState.js';
import type { CrdtPrimitive } from './primitive.js';

/** An OR-Set provider (made by {@link orSet}). */
export type OrSetProvider = CrdtProvider<OrSetState, OrSetOp, CrdtPrimitive[]>;

/**
 * The OR-Set kind (`or-set`): an add-wins observed-remove set. Its provider writes format 2, `[replicas, context, scalars, strings,
 * stringLengths, byteStrings, dots]` (replica table, causal context, the sorted elements in columns
 * — the strings as one UTF-8 byte string — and one varint byte string of dots; no per-element
 * objects), and reads format 1 (`[replicas, context, elements, dots]`) as well, so it takes over
 * state persisted by earlier releases directly. See `orSetFormats` for the exact layouts.
 * `options.maxBytes` is the largest state `fromPersisted` accepts. Each call makes a new provider;
 * wrong options are `INVALID_ARGUMENT`.
 */
export function orSet(options?: CrdtProviderOptions): OrSetProvider {
  const { maxBytes } = crdtOptions(OR_SET, options);
  return Object.freeze({
    kind: OR_SET,
    formatVersion: OR_SET_FORMAT,
    empty: () => limitDeltas(OrSetState.create(), maxBytes),
    fromPersisted(bytes: Uint8Array): OrSetState {
      const { formatVersion, body } = decodeEnvelope(bytes, {
        kind: OR_SET,
        versions: OR_SET_READS,
        bodies: OR_SET_BODIES,
        maxBytes,
      });
      return limitDeltas(OrSetState.create(decodeOrSetBody(formatVersion, body, new BodyReader(OR_SET))), maxBytes);
    },
    schemaCompatCheck(old: CrdtKindProvider): CompatVerdict {
      oldProvider(OR_SET, old);
      return old.kind === OR_SET && old.formatVersion !== undefined && OR_SET_READS.includes(old.formatVersion)
        ? Compat.compatible()
        : Compat.incompatible(
            `or-set v${OR_SET_FORMAT} cannot read '${old.kind}' format ${String(old.formatVersion)} state`,
          );
    },
    samples: orSetSamples,
  });
}

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
