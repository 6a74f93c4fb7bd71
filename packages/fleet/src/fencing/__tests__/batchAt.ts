/** A one-row CDC batch `[lsn, lsn + 1)`, the same in every process (no vitest: the zombie child imports it). */
import type { CdcBatch } from '@baton/core';
import { cdcBatches } from '@baton/testing';
import fc from 'fast-check';

export function batchAt(lsn: number): CdcBatch {
  const [batches] = fc.sample(
    cdcBatches({ maxBatches: 1, maxRows: 1, startLsn: BigInt(lsn) }).filter((b) => b.length === 1),
    { numRuns: 1, seed: lsn },
  );
  return batches![0]!;
}
