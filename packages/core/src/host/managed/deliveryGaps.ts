import { ReloadError } from '../../errors/reloadError.js';
import type { CdcBatch } from '../../surfaces/cdcOutput.js';

/**
 * The LSNs from which a managed CDC stream is missing data: where a delivery failed (the sink threw,
 * the call was aborted or refused) or was refused because an earlier one had failed. While any is
 * open, a batch that starts after the earliest one is refused with `DELIVERY_BLOCKED`, so an engine
 * that pipelines deliveries can never leave a hole behind a failed batch: it must deliver that range
 * again first (as a Kafka producer resends from its first failed sequence number).
 *
 * Points are kept sorted; a written batch closes the points it covers, and points below what was
 * delivered are dropped (a batch that covered them was written, or they were re-deliveries).
 */
/** One missing-from point and what made it missing. */
interface GapPoint {
  readonly from: bigint;
  /** End of the batch that failed (its data is missing up to here at least). */
  readonly end: bigint;
  readonly range: string;
  readonly cause: unknown;
}

export class DeliveryGaps {
  /** Missing-from LSNs, ascending by `from`, without duplicates, with what made each one missing. */
  #points: GapPoint[] = [];

  /** The LSN deliveries must resume from, or `undefined` when nothing is missing. */
  get from(): bigint | undefined {
    return this.#points[0]?.from;
  }

  /**
   * Records that `batch` did not reach the sink: its data is missing from `max(lsnStart,
   * deliveredEnd)`, unless it ends at or before what was delivered (a re-delivery lost nothing).
   * A batch whose LSNs are not usable records nothing (it names no range).
   */
  fail(batch: Partial<CdcBatch> | undefined, deliveredEnd: bigint | undefined, cause: unknown): void {
    const start = batch?.lsnStart;
    const end = batch?.lsnEnd;
    if (typeof start !== 'bigint' || typeof end !== 'bigint' || end <= start) return;
    if (deliveredEnd !== undefined && end <= deliveredEnd) return;
    const from = deliveredEnd !== undefined && start < deliveredEnd ? deliveredEnd : start;
    const at = this.#insertionPoint(from);
    if (this.#points[at]?.from === from) return;
    this.#points.splice(at, 0, { from, end, range: `[${start}, ${end})`, cause });
  }

  /** Refuses `batch` (`DELIVERY_BLOCKED`) when it starts after the earliest missing LSN. */
  check(batch: CdcBatch, stream: string): void {
    const first = this.#points[0];
    if (first === undefined || batch.lsnStart <= first.from) return;
    const { from, range, cause } = first;
    throw new ReloadError({
      code: 'DELIVERY_BLOCKED',
      phase: 'call',
      kind: 'cdcOutput',
      key: stream,
      message:
        `CDC stream '${stream}': batch [${batch.lsnStart}, ${batch.lsnEnd}) refused: the delivery of ` +
        `${range} did not reach the sink, so nothing after LSN ${from} may be written before it; ` +
        `deliver from LSN ${from} again (or restart the stream from its checkpoint)`,
      cause,
      details: { missingFrom: from },
    });
  }

  /**
   * The stream now holds data through `deliveredEnd` (a batch was written, or skipped as already
   * delivered). Only a batch that passed {@link DeliveryGaps.check} is written, so what lies below
   * `deliveredEnd` is covered: a point whose failed batch ended there is closed, and one whose batch
   * reached beyond it (an overlapping batch that failed while an earlier one was in flight) now
   * misses data from `deliveredEnd`.
   */
  delivered(deliveredEnd: bigint): void {
    if (this.#points.length === 0 || this.#points[0]!.from >= deliveredEnd) return;
    let moved: GapPoint | undefined;
    let rest = 0;
    for (; rest < this.#points.length && this.#points[rest]!.from < deliveredEnd; rest++) {
      const point = this.#points[rest]!;
      if (point.end > deliveredEnd) moved ??= { ...point, from: deliveredEnd };
    }
    const later = this.#points.slice(rest);
    this.#points = moved === undefined || later[0]?.from === deliveredEnd ? later : [moved, ...later];
  }

  #insertionPoint(lsn: bigint): number {
    let lo = 0;
    let hi = this.#points.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#points[mid]!.from < lsn) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
