import type { SortedKeys } from './orderedKeys.js';

/** Everything an `OrderedIndexHandle` is made of. */
export interface OrderedIndexState {
  readonly keys: SortedKeys;
  /** CRC-32 of the key buffers followed by the row-id bytes (as persisted). */
  readonly crc32: number;
  /** Refuse probes whose result would exceed this many rows. */
  readonly maxProbeResults: number;
}
