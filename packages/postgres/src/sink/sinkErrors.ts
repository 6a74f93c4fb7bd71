import { isArrowRecordBatch } from 'apache-arrow';
import { ReloadError } from '@baton/core';
import type { CdcBatch } from '@baton/core';
import { MAX_PG_LSN } from '../lsn/lsn.js';

/** An error of the sink named `key`, at `step`. */
export function sinkError(
  code: 'INVALID_ARGUMENT' | 'LOCKED' | 'RESOURCE_CLOSED' | 'ABORTED',
  key: string,
  step: string,
  message: string,
  cause?: unknown,
): ReloadError {
  return new ReloadError({
    code,
    phase: 'call',
    kind: 'cdcOutput',
    key,
    step,
    message: `CDC '${key}': ${message}`,
    ...(cause === undefined ? {} : { cause }),
  });
}

/** Throws `ABORTED` when `signal` has aborted. */
export function throwIfAborted(signal: AbortSignal | undefined, key: string, step: string): void {
  if (signal?.aborted) throw sinkError('ABORTED', key, step, `${step} aborted`, signal.reason);
}

/** Checks an LSN argument: a bigint in `[0, 2^64 − 1]`, else `INVALID_ARGUMENT`. */
export function checkLsnArg(value: unknown, what: string, key: string, step: string): bigint {
  if (typeof value !== 'bigint' || value < 0n || value > MAX_PG_LSN)
    throw sinkError('INVALID_ARGUMENT', key, step, `${what} must be a bigint LSN in [0, 2^64 - 1]`);
  return value;
}

/**
 * Checks the shape of a batch: bigint LSNs with `lsnStart < lsnEnd` in the PostgreSQL LSN range,
 * an Arrow RecordBatch of mutations, a finite commit time. `INVALID_ARGUMENT` naming what is wrong.
 */
export function checkBatch(batch: unknown, key: string): CdcBatch {
  if (typeof batch !== 'object' || batch === null)
    throw sinkError('INVALID_ARGUMENT', key, 'deliver', 'a batch must be an object');
  const { lsnStart, lsnEnd, mutations, commitTimestamp } = batch as Record<string, unknown>;
  const start = checkLsnArg(lsnStart, 'lsnStart', key, 'deliver');
  const end = checkLsnArg(lsnEnd, 'lsnEnd', key, 'deliver');
  if (end <= start)
    throw sinkError('INVALID_ARGUMENT', key, 'deliver', `a batch needs lsnStart < lsnEnd (got [${start}, ${end}))`);
  if (!isArrowRecordBatch(mutations))
    throw sinkError('INVALID_ARGUMENT', key, 'deliver', 'mutations must be an Arrow RecordBatch');
  if (typeof commitTimestamp !== 'number' || !Number.isFinite(commitTimestamp))
    throw sinkError('INVALID_ARGUMENT', key, 'deliver', 'commitTimestamp must be a finite number of milliseconds');
  return batch as CdcBatch;
}
