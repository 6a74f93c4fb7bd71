import { isArrowRecordBatch } from 'apache-arrow';
import { ReloadError } from '@baton/core';
import type { CdcBatch } from '@baton/core';

/** The largest LSN the reference outputs accept: LSNs are stored as unsigned 64-bit integers. */
export const MAX_LSN = 2n ** 64n - 1n;

/** Where a CDC error is reported: the output (or log) and the call. */
export interface CdcErrorContext {
  /** Surface key of the output, or the name of the change log. */
  readonly key: string;
  /** Surface kind reported on the error (default `cdcOutput`). */
  readonly kind?: string;
}

/** An `INVALID_ARGUMENT` error of a CDC call. */
export function invalidCdc(context: CdcErrorContext, message: string, cause?: unknown): ReloadError {
  return new ReloadError({
    code: 'INVALID_ARGUMENT',
    phase: 'call',
    kind: context.kind ?? 'cdcOutput',
    key: context.key,
    message: `CDC '${context.key}': ${message}`,
    ...(cause === undefined ? {} : { cause }),
  });
}

/** A `RESOURCE_CLOSED` error of a CDC call: the stream was shut down or fenced off by a newer one. */
export function closedCdc(context: CdcErrorContext, step: string, message: string): ReloadError {
  return new ReloadError({
    code: 'RESOURCE_CLOSED',
    phase: 'call',
    kind: context.kind ?? 'cdcOutput',
    key: context.key,
    step,
    message: `CDC '${context.key}': ${message}`,
  });
}

/** Throws `INVALID_ARGUMENT` unless `value` is an LSN: a bigint in `[0, MAX_LSN]`. */
export function checkLsn(value: unknown, what: string, context: CdcErrorContext): bigint {
  if (typeof value !== 'bigint') throw invalidCdc(context, `${what} must be a bigint LSN (got ${typeof value})`);
  if (value < 0n || value > MAX_LSN) throw invalidCdc(context, `${what} ${value} is outside [0, 2^64 - 1]`);
  return value;
}

/**
 * Checks the shape of a batch: bigint LSNs with `0 <= lsnStart < lsnEnd <= MAX_LSN`, Arrow
 * `mutations`, a finite `commitTimestamp`. Throws `INVALID_ARGUMENT` naming what is wrong.
 */
export function checkBatch(batch: unknown, context: CdcErrorContext): CdcBatch {
  if (typeof batch !== 'object' || batch === null) throw invalidCdc(context, 'a batch must be an object');
  const { lsnStart, lsnEnd, mutations, commitTimestamp } = batch as Partial<Record<keyof CdcBatch, unknown>>;
  const start = checkLsn(lsnStart, 'lsnStart', context);
  const end = checkLsn(lsnEnd, 'lsnEnd', context);
  if (end <= start) throw invalidCdc(context, `a batch needs lsnStart < lsnEnd (got [${start}, ${end}))`);
  if (!isArrowRecordBatch(mutations)) throw invalidCdc(context, 'mutations must be an Arrow RecordBatch');
  if (typeof commitTimestamp !== 'number' || !Number.isFinite(commitTimestamp)) {
    throw invalidCdc(
      context,
      `commitTimestamp must be a finite number of milliseconds (got ${String(commitTimestamp)})`,
    );
  }
  return batch as CdcBatch;
}

/** What a stream does with a batch, given the LSN through which its sink is complete. */
export type BatchPlacement = 'write' | 'skip';

/**
 * Places a checked batch after `position` (the `lsnEnd` of the last written batch): `skip` when it
 * ends at or before it (already written: exactly once), `write` when it starts at or after it (a gap
 * is allowed, as the contract allows), and `INVALID_ARGUMENT` when it straddles it.
 */
export function placeBatch(batch: CdcBatch, position: bigint, context: CdcErrorContext): BatchPlacement {
  if (batch.lsnEnd <= position) return 'skip';
  if (batch.lsnStart < position) {
    throw invalidCdc(
      context,
      `batch [${batch.lsnStart}, ${batch.lsnEnd}) overlaps what the sink already holds (through ${position})`,
    );
  }
  return 'write';
}

/** Throws the signal's reason as an `ABORTED` error when it is aborted. */
export function throwIfAborted(signal: AbortSignal | undefined, context: CdcErrorContext, step: string): void {
  if (signal?.aborted) {
    throw new ReloadError({
      code: 'ABORTED',
      phase: 'call',
      kind: context.kind ?? 'cdcOutput',
      key: context.key,
      step,
      message: `CDC '${context.key}': ${step} aborted`,
      cause: signal.reason,
    });
  }
}
