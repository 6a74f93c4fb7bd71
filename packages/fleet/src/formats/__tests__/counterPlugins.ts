/**
 * Test plugins of one name, `counters`, in the versions a fleet rollout meets: v1 writes g-counter
 * format 1; v2 reads formats 1 and 2 and writes what the fleet's phase says (1 in `mixed`, 2 once
 * `switched`) through `fleetFormats(r)`; two wrong v2s the pre-checks must catch. Each registers an
 * or-set too (one format in every version) and reads a host service, as real plugins do
 * (`counters.env`, optional here).
 */
import { definePlugin } from '@baton/core';
import type { Registrar } from '@baton/core';
import { gCounter, orSet } from '@baton/kinds';
import { fleetFormats } from '../fleetFormats.js';

export const COUNTERS = 'counters';

/** What the plugins read from the host service `counters.env` (when the host has it). */
export interface CountersEnv {
  readonly maxBytes?: number;
}

function envOf(r: Registrar): CountersEnv {
  return r.scope.isRegistered('counters.env', true) ? r.scope.resolve<CountersEnv>('counters.env') : {};
}

const limits = (r: Registrar): { maxBytes?: number } => {
  const { maxBytes } = envOf(r);
  return maxBytes === undefined ? {} : { maxBytes };
};

/** v1: g-counter format 1 (reads 1 only), or-set. */
export const countersV1 = definePlugin({
  name: COUNTERS,
  version: '1.0.0',
  register(r) {
    r.crdtKind(gCounter({ format: 1, ...limits(r) }));
    r.crdtKind(orSet(limits(r)));
  },
});

/** v2 done right: newest g-counter format 2, pinned by the fleet's phase (reads 1 and 2 in both phases). */
export const countersV2 = definePlugin({
  name: COUNTERS,
  version: '2.0.0',
  register(r) {
    const formats = fleetFormats(r);
    r.crdtKind(
      formats.crdtKind(gCounter({ format: 2, ...limits(r) }), (format) =>
        gCounter({ format: format as 1 | 2, ...limits(r) }),
      ),
    );
    r.crdtKind(orSet(limits(r)));
  },
});

/** A wrong v2: ignores the phase and writes format 2 while the fleet is mixed. */
export const countersV2Eager = definePlugin({
  name: COUNTERS,
  version: '2.0.0',
  register(r) {
    r.crdtKind(gCounter({ format: 2 }));
    r.crdtKind(orSet());
  },
});

/**
 * Another wrong v2: writes format 1 while mixed by registering the v1 provider itself, which reads
 * format 1 only — the processes still mixed could not read the switched ones' states during the
 * second step.
 */
export const countersV2PinnedOnly = definePlugin({
  name: COUNTERS,
  version: '2.0.0',
  register(r) {
    r.crdtKind(fleetFormats(r).phase === 'mixed' ? gCounter({ format: 1 }) : gCounter({ format: 2 }));
    r.crdtKind(orSet());
  },
});
