import { Compat } from '@baton/core';
import type { CompatVerdict, CrdtKindProvider } from '@baton/core';
import { decodeEnvelope } from '../codec/envelope.js';
import { BodyReader } from './bodyReader.js';
import { limitDeltas } from './crdtDelta.js';
import { crdtOptions, oldProvider } from './crdtProvider.js';
import type { CrdtProvider, CrdtProviderOptions } from './crdtProvider.js';
import { decodePnCounterBody, PN_COUNTER, PN_COUNTER_BODY, PnCounterState } from './pnCounterState.js';
import type { PnCounterOp } from './pnCounterState.js';

/** A PN-Counter provider (made by {@link pnCounter}). */
export type PnCounterProvider = CrdtProvider<PnCounterState, PnCounterOp, number>;

/**
 * The PN-Counter kind (`pn-counter`): a counter that counts up and down, persisted in format 1
 * (`[replicaIds, p, n]`). `options.maxBytes` is the largest state `fromPersisted` accepts. Each call
 * makes a new provider; wrong options are `INVALID_ARGUMENT`.
 */
export function pnCounter(options?: CrdtProviderOptions): PnCounterProvider {
  const { maxBytes } = crdtOptions(PN_COUNTER, options);
  return Object.freeze({
    kind: PN_COUNTER,
    formatVersion: 1,
    empty: () => limitDeltas(PnCounterState.create(1), maxBytes),
    fromPersisted(bytes: Uint8Array): PnCounterState {
      const { body } = decodeEnvelope(bytes, {
        kind: PN_COUNTER,
        versions: [1],
        bodies: { 1: PN_COUNTER_BODY },
        maxBytes,
      });
      const { p, n } = decodePnCounterBody(body, new BodyReader(PN_COUNTER));
      return limitDeltas(PnCounterState.create(1, p, n), maxBytes);
    },
    schemaCompatCheck(old: CrdtKindProvider): CompatVerdict {
      oldProvider(PN_COUNTER, old);
      return old.kind === PN_COUNTER && old.formatVersion === 1
        ? Compat.compatible()
        : Compat.incompatible(`pn-counter v1 cannot read '${old.kind}' format ${String(old.formatVersion)} state`);
    },
    samples: pnCounterSamples,
  });
}

/** Sample op sequences: increments and decrements over several replicas, positive and negative totals. */
function* pnCounterSamples(): Generator<readonly PnCounterOp[]> {
  yield [
    { replica: 'a', by: 5 },
    { replica: 'a', by: -2 },
  ];
  yield [
    { replica: 'a', by: 3 },
    { replica: 'b', by: -7 },
    { replica: 'c', by: 2 },
    { replica: 'b', by: 1 },
  ];
  yield [{ replica: 'a', by: -1 }];
  yield [
    { replica: 'node-1', by: 2 ** 45 },
    { replica: 'node-2', by: -(2 ** 44) },
    { replica: 'node-1', by: -3 },
  ];
}
