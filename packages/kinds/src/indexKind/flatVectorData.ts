import type { ScanTarget, VectorMetric } from './vectorMetric.js';

/** What a persisted flat vector index holds, in either format (what the format readers return and the writers take). */
export interface FlatVectorData extends ScanTarget {
  readonly metric: VectorMetric;
  /** CRC-32 of the vector bytes followed by the row-id bytes (as persisted). */
  readonly crc32: number;
}

/** Everything a `FlatVectorIndexHandle` is made of. */
export interface FlatVectorIndexState extends FlatVectorData {
  /** Refuse probes whose result would exceed this many rows. */
  readonly maxProbeResults: number;
  /** The format `persist` writes (default 2). */
  readonly persistFormat?: 1 | 2;
}
