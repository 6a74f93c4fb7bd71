import type { ReloadPhase } from '../errors/codes.js';

/** Where a file-system failure is reported: the phase, and the surface kind/key when one applies. */
export interface IoErrorContext {
  /** Phase reported on the error (default `call`). */
  readonly phase?: ReloadPhase;
  readonly kind?: string;
  readonly key?: string;
  readonly step?: string;
  /** Prefix of the message, e.g. `CDC 'audit': ` (default none). */
  readonly prefix?: string;
}
