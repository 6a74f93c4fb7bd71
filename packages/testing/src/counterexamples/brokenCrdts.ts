import { lossyPnCounter } from './lossyPnCounter.js';
import { unmigratedGCounter } from './unmigratedGCounter.js';

/**
 * Deliberately broken CRDT providers — COUNTEREXAMPLES, never for production — that show a compat
 * check refusing a reload. Each call makes a new provider.
 *
 * - `lossyPnCounter()`: a `pn-counter` of format 2 that claims to read v1 state as is but drops
 *   every decrement; the empty state round-trips, so only a check on reachable states catches it.
 * - `unmigratedGCounter()`: a `g-counter` of format 3 that changes the encoding without a
 *   migration and declares itself incompatible with formats 1 and 2.
 */
export const brokenCrdts = Object.freeze({ lossyPnCounter, unmigratedGCounter });
