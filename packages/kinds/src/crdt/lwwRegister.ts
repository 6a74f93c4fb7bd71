import { Compat } from '@baton/core';
import type { CompatVerdict, CrdtKindProvider } from '@baton/core';
import { decodeEnvelope } from '../codec/envelope.js';
import { BodyReader } from './bodyReader.js';
import { limitDeltas } from './crdtDelta.js';
import { crdtOptions, oldProvider } from './crdtProvider.js';
import type { CrdtProvider, CrdtProviderOptions } from './crdtProvider.js';
import { decodeLwwRegisterBody, LWW_REGISTER, LWW_REGISTER_BODY, LwwRegisterState } from './lwwRegisterState.js';
import type { LwwRegisterOp } from './lwwRegisterState.js';
import type { CrdtPrimitive } from './primitive.js';

/** An LWW-Register provider (made by {@link lwwRegister}). */
export type LwwRegisterProvider = CrdtProvider<LwwRegisterState, LwwRegisterOp, CrdtPrimitive | undefined>;

/**
 * The LWW-Register kind (`lww-register`): the last write wins (greatest timestamp, then replica id,
 * then value), persisted in format 1 (`[]` or `[timestamp, replica, value]`). `options.maxBytes` is
 * the largest state `fromPersisted` accepts. Each call makes a new provider; wrong options are
 * `INVALID_ARGUMENT`.
 */
export function lwwRegister(options?: CrdtProviderOptions): LwwRegisterProvider {
  const { maxBytes } = crdtOptions(LWW_REGISTER, options);
  return Object.freeze({
    kind: LWW_REGISTER,
    formatVersion: 1,
    empty: () => limitDeltas(LwwRegisterState.create(1), maxBytes),
    fromPersisted(bytes: Uint8Array): LwwRegisterState {
      const { body } = decodeEnvelope(bytes, {
        kind: LWW_REGISTER,
        versions: [1],
        bodies: { 1: LWW_REGISTER_BODY },
        maxBytes,
      });
      return limitDeltas(
        LwwRegisterState.create(1, decodeLwwRegisterBody(body, new BodyReader(LWW_REGISTER))),
        maxBytes,
      );
    },
    schemaCompatCheck(old: CrdtKindProvider): CompatVerdict {
      oldProvider(LWW_REGISTER, old);
      return old.kind === LWW_REGISTER && old.formatVersion === 1
        ? Compat.compatible()
        : Compat.incompatible(`lww-register v1 cannot read '${old.kind}' format ${String(old.formatVersion)} state`);
    },
    samples: lwwRegisterSamples,
  });
}

function* lwwRegisterSamples(): Generator<readonly LwwRegisterOp[]> {
  yield [{ replica: 'a', value: 'hello', timestamp: 1 }];
  // A tie at timestamp 5 goes to the greater replica id.
  yield [
    { replica: 'b', value: 'tie, b wins', timestamp: 5 },
    { replica: 'a', value: 1, timestamp: 5 },
  ];
  // An older write arriving late loses.
  yield [
    { replica: 'a', value: true, timestamp: 1_700_000_000_000 },
    { replica: 'b', value: new Uint8Array([0xde, 0xad]), timestamp: 1_600_000_000_000 },
  ];
  yield [
    { replica: 'a', value: 2n ** 70n, timestamp: 1 },
    { replica: 'c', value: 3.25, timestamp: 2 },
    { replica: 'b', value: new Uint8Array([1, 2, 3]), timestamp: 3 },
  ];
}
