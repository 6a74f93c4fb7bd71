import { Compat } from '@baton/core';
import type { CompatVerdict, CrdtKindProvider } from '@baton/core';
import { decodeEnvelope } from '../codec/envelope.js';
import { BodyReader } from './bodyReader.js';
import type { GCounterProvider } from './gCounter.js';
import { gCounterProvider } from './gCounter.js';
import { gCounterFormatV3 } from './gCounterFormats.js';
import type { PnCounterProvider } from './pnCounter.js';
import { pnCounterSamples } from './pnCounter.js';
import { decodePnCounterBody, PN_COUNTER, PN_COUNTER_BODY, PnCounterState } from './pnCounterState.js';

/**
 * COUNTEREXAMPLE — not for production. A "PN-Counter v2" (format 2) that claims to take over v1
 * state as is (`schemaCompatCheck` answers compatible) but whose `fromPersisted` reads only the P
 * half of the bytes and silently drops every decrement.
 *
 * The empty state round-trips fine (0 → 0), so a check of the empty state alone would wave it
 * through; `checkCrdtCompat` from `@baton/core` visits reachable states (the old provider's
 * samples, which count down) and returns `incompatible`. The demo and the tests use it to show
 * that check.
 */
export const lossyPnCounterV2: PnCounterProvider = Object.freeze({
  kind: PN_COUNTER,
  formatVersion: 2,
  empty: () => new PnCounterState(2),
  fromPersisted(bytes: Uint8Array): PnCounterState {
    const { body } = decodeEnvelope(bytes, {
      kind: PN_COUNTER,
      versions: [1, 2],
      bodies: { 1: PN_COUNTER_BODY, 2: PN_COUNTER_BODY },
    });
    const { p } = decodePnCounterBody(body, new BodyReader(PN_COUNTER));
    return new PnCounterState(2, p);
  },
  // The false claim: v1 state is said to be readable as is.
  schemaCompatCheck: (): CompatVerdict => Compat.compatible(),
  samples: pnCounterSamples,
});

/**
 * COUNTEREXAMPLE — not for production. A "G-Counter v3" whose format 3 (`[replicaIds, counts]` as a
 * plain msgpack integer array) changes the encoding without a migration, and says so honestly:
 * over a format-1 or format-2 provider its `schemaCompatCheck` answers
 * `Compat.incompatible(reason)`, so a reload to it is refused before anything pauses.
 */
export const unmigratedGCounterV3: GCounterProvider = gCounterProvider(
  gCounterFormatV3,
  [gCounterFormatV3],
  undefined,
  (old: CrdtKindProvider) =>
    old.formatVersion === 3
      ? Compat.compatible()
      : Compat.incompatible(
          `g-counter v3 changes the persisted encoding and ships no migration from format ${String(old.formatVersion)}; reload to a version that migrates`,
        ),
);
