import type { CdcBatch } from '@baton/core';
import { tableFromArrays } from 'apache-arrow';
import fc from 'fast-check';

/** Options of {@link cdcBatches}. */
export interface CdcBatchOptions {
  /** Batches at most (default 20). */
  readonly maxBatches?: number;
  /** Rows per batch at most (default 4). */
  readonly maxRows?: number;
  /** Allow gaps between consecutive LSN ranges (default false: contiguous). */
  readonly gaps?: boolean;
  /** LSN of the first batch (default 0). */
  readonly startLsn?: bigint;
}

/**
 * Streams of CDC batches with strictly increasing, non-overlapping LSN ranges (`lsnEnd` exclusive),
 * one LSN per row, and mutations as an Arrow RecordBatch with `id` (Int32) and `value` (Float64).
 */
export function cdcBatches(options: CdcBatchOptions = {}): fc.Arbitrary<CdcBatch[]> {
  const shapes = fc.array(
    fc.record({
      rows: fc.integer({ min: 1, max: options.maxRows ?? 4 }),
      gap: options.gaps ? fc.integer({ min: 0, max: 3 }) : fc.constant(0),
      value: fc.double({ noNaN: true, min: -1e6, max: 1e6 }),
    }),
    { maxLength: options.maxBatches ?? 20 },
  );
  return shapes.map((items) => {
    let lsn = options.startLsn ?? 0n;
    return items.map(({ rows, gap, value }, i) => {
      const lsnStart = lsn + BigInt(gap);
      const lsnEnd = lsnStart + BigInt(rows);
      lsn = lsnEnd;
      const ids = Int32Array.from({ length: rows }, (_, r) => Number(lsnStart) + r);
      const mutations = tableFromArrays({ id: ids, value: Float64Array.from({ length: rows }, (_, r) => value + r) })
        .batches[0]!;
      return { lsnStart, lsnEnd, mutations, commitTimestamp: 1_700_000_000_000 + i };
    });
  });
}

/** A stream of batches and a cut point in it (0..length): where a handoff or crash happens. */
export function cdcStreamWithCut(options: CdcBatchOptions = {}): fc.Arbitrary<{ batches: CdcBatch[]; cut: number }> {
  return cdcBatches(options).chain((batches) =>
    fc.record({ batches: fc.constant(batches), cut: fc.integer({ min: 0, max: batches.length }) }),
  );
}

/** `lsnStart-lsnEnd` of each batch, for comparing what reached a sink. */
export function lsnRanges(batches: readonly Pick<CdcBatch, 'lsnStart' | 'lsnEnd'>[]): string[] {
  return batches.map((b) => `${b.lsnStart}-${b.lsnEnd}`);
}
