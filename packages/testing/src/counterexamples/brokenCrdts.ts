import type { CrdtProvider, GCounterOp, PnCounterOp } from '@baton/kinds';
import { lossyPnCounter } from './lossyPnCounter.js';
import type { LossyPnCounterState } from './lossyPnCounter.js';
import { unmigratedGCounter } from './unmigratedGCounter.js';
import type { UnmigratedGCounterState } from './unmigratedGCounter.js';

/** The deliberately broken CRDT providers of {@link brokenCrdts}. */
export interface BrokenCrdts {
  /**
   * A `pn-counter` of format 2 that claims to read v1 state as is but drops every decrement; the
   * empty state round-trips, so only a check on reachable states catches it.
   */
  lossyPnCounter(): CrdtProvider<LossyPnCounterState, PnCounterOp, number>;
  /**
   * A `g-counter` of format 3 that changes the encoding without a migration and declares itself
   * incompatible with formats 1 and 2 (otherwise a sound G-Counter).
   */
  unmigratedGCounter(): CrdtProvider<UnmigratedGCounterState, GCounterOp, number>;
}

/**
 * Deliberately broken CRDT providers — COUNTEREXAMPLES, never for production — that show a compat
 * check refusing a reload (`assertCrdtCompat`, `checkCrdtCompat`, a host's reload). Each call makes
 * a new provider.
 */
export const brokenCrdts: BrokenCrdts = Object.freeze({ lossyPnCounter, unmigratedGCounter });
