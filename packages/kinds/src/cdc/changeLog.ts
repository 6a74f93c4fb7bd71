import { isArrowRecordBatch } from 'apache-arrow';
import type { RecordBatch } from 'apache-arrow';
import type { CdcBatch } from '@baton/core';
import { checkBatch, checkLsn, invalidCdc, MAX_LSN } from './batchCheck.js';
import type { CdcErrorContext } from './batchCheck.js';
import { checkCdcOptions, checkSignalArg } from './cdcArgs.js';

/** Options of a {@link ChangeLog}. */
export interface ChangeLogOptions {
  /** Name used in error messages (default `changeLog`). */
  readonly name?: string;
  /** LSN of the first batch appended (default `0n`). */
  readonly startLsn?: bigint;
  /**
   * Whether an appended batch may start after the head (`allow`) or must start exactly at it
   * (`reject`, the default: the log is contiguous).
   */
  readonly gaps?: 'allow' | 'reject';
}

/**
 * The host-side, in-memory change log of an engine: committed transactions as {@link CdcBatch}es
 * with ascending, non-overlapping LSN ranges. CDC outputs are fed from it with {@link readFrom} (or
 * {@link follow}) starting at their checkpoint LSN, so a restarted stream is re-fed exactly the
 * batches its sink may lack. {@link truncateBefore} drops batches every output has made durable.
 */
export class ChangeLog {
  readonly #context: CdcErrorContext;
  readonly #allowGaps: boolean;
  #batches: CdcBatch[] = [];
  #first = 0;
  #head: bigint;
  #floor: bigint;
  readonly #waiters = new Set<() => void>();

  /** `INVALID_ARGUMENT` for a wrong-typed or unknown option. */
  constructor(options: ChangeLogOptions = {}) {
    const unnamed = { key: 'changeLog', kind: 'changeLog' };
    const checked = checkCdcOptions<ChangeLogOptions>(
      options,
      ['name', 'startLsn', 'gaps'],
      'ChangeLog options',
      unnamed,
    );
    if (checked.name !== undefined && (typeof checked.name !== 'string' || checked.name === ''))
      throw invalidCdc(unnamed, `name must be a non-empty string (got ${typeof checked.name})`);
    this.#context = { key: checked.name ?? 'changeLog', kind: 'changeLog' };
    const start = checkLsn(checked.startLsn ?? 0n, 'startLsn', this.#context);
    if (checked.gaps !== undefined && checked.gaps !== 'allow' && checked.gaps !== 'reject')
      throw invalidCdc(this.#context, `gaps must be 'allow' or 'reject' (got ${String(checked.gaps)})`);
    this.#head = start;
    this.#floor = start;
    this.#allowGaps = checked.gaps === 'allow';
  }

  /** The end of the last appended batch (or the start LSN): where the next batch starts. */
  get headLsn(): bigint {
    return this.#head;
  }

  /** The LSN before which batches were truncated: `readFrom` accepts LSNs at or after it. */
  get floorLsn(): bigint {
    return this.#floor;
  }

  /** Number of batches retained. */
  get size(): number {
    return this.#batches.length - this.#first;
  }

  /**
   * Appends a batch with its own LSN range (which must start at the head, or after it when gaps are
   * allowed), or assigns one: `append(mutations, commitTimestamp?)` covers one LSN per row (at least
   * one) from the head. Returns the stored, frozen batch. Throws `INVALID_ARGUMENT` on an overlap, a
   * disallowed gap or a malformed batch.
   */
  append(batch: CdcBatch): CdcBatch;
  append(mutations: RecordBatch, commitTimestamp?: number): CdcBatch;
  append(input: CdcBatch | RecordBatch, commitTimestamp: number = Date.now()): CdcBatch {
    let batch: CdcBatch;
    if (isArrowRecordBatch(input)) {
      const lsnEnd = this.#head + BigInt(Math.max(1, input.numRows));
      if (lsnEnd > MAX_LSN) throw invalidCdc(this.#context, `assigning LSNs from ${this.#head} would pass 2^64 - 1`);
      batch = checkBatch({ lsnStart: this.#head, lsnEnd, mutations: input, commitTimestamp }, this.#context);
    } else {
      batch = checkBatch(input, this.#context);
    }
    if (batch.lsnStart < this.#head) {
      throw invalidCdc(
        this.#context,
        `batch [${batch.lsnStart}, ${batch.lsnEnd}) overlaps the log (head ${this.#head})`,
      );
    }
    if (batch.lsnStart > this.#head && !this.#allowGaps) {
      throw invalidCdc(
        this.#context,
        `batch [${batch.lsnStart}, ${batch.lsnEnd}) leaves a gap after the head ${this.#head} (gaps are not allowed)`,
      );
    }
    const stored = Object.freeze({
      lsnStart: batch.lsnStart,
      lsnEnd: batch.lsnEnd,
      mutations: batch.mutations,
      commitTimestamp: batch.commitTimestamp,
    });
    this.#batches.push(stored);
    this.#head = stored.lsnEnd;
    for (const wake of [...this.#waiters]) wake();
    return stored;
  }

  /**
   * The batches with `lsnEnd > lsn`, in order: the ones a stream resuming at checkpoint `lsn` needs.
   * The result is iterable and async-iterable, and live: an iteration also yields batches appended
   * while it runs, and ends when it has caught up with the head. Throws `INVALID_ARGUMENT` when
   * batches after `lsn` were already truncated (they would be lost).
   */
  readFrom(lsn: bigint = this.#floor): Iterable<CdcBatch> & AsyncIterable<CdcBatch> {
    this.#checkReadable(checkLsn(lsn, 'readFrom LSN', this.#context));
    const iterate = (): Generator<CdcBatch, void, undefined> => this.#iterate(lsn);
    return {
      [Symbol.iterator]: iterate,
      async *[Symbol.asyncIterator]() {
        yield* iterate();
      },
    };
  }

  *#iterate(lsn: bigint): Generator<CdcBatch, void, undefined> {
    let cursor = lsn;
    for (;;) {
      this.#checkReadable(cursor);
      const batch = this.#batchAfter(cursor);
      if (!batch) return;
      cursor = batch.lsnEnd;
      yield batch;
    }
  }

  /**
   * Like {@link readFrom}, but keeps waiting for new batches after catching up: a tail of the log.
   * Ends (without an error) when `signal` aborts.
   */
  async *follow(
    lsn: bigint = this.#floor,
    options: { readonly signal?: AbortSignal } = {},
  ): AsyncGenerator<CdcBatch, void, undefined> {
    let cursor = checkLsn(lsn, 'follow LSN', this.#context);
    const checked = checkCdcOptions<{ signal?: AbortSignal }>(options, ['signal'], 'follow options', this.#context);
    const signal = checkSignalArg(checked.signal, 'follow: signal', this.#context);
    while (!signal?.aborted) {
      for (const batch of this.readFrom(cursor)) {
        cursor = batch.lsnEnd;
        yield batch;
        if (signal?.aborted) return;
      }
      if (!(await this.#waitForAppend(cursor, signal))) return;
    }
  }

  /**
   * Drops every batch with `lsnEnd <= lsn` (all CDC outputs have made them durable). Returns how many
   * were dropped; {@link floorLsn} becomes the end of the last dropped batch.
   */
  truncateBefore(lsn: bigint): number {
    checkLsn(lsn, 'truncateBefore LSN', this.#context);
    const cut = this.#indexAfter(lsn);
    const dropped = cut - this.#first;
    if (dropped === 0) return 0;
    this.#floor = this.#batches[cut - 1]!.lsnEnd;
    this.#first = cut;
    if (this.#first > 1024 && this.#first * 2 > this.#batches.length) {
      this.#batches = this.#batches.slice(this.#first);
      this.#first = 0;
    }
    return dropped;
  }

  #checkReadable(lsn: bigint): void {
    if (lsn < this.#floor) {
      throw invalidCdc(
        this.#context,
        `cannot read from LSN ${lsn}: the log was truncated before ${this.#floor} (those batches are gone)`,
      );
    }
  }

  /** Index of the first retained batch with `lsnEnd > lsn` (binary search; ends are ascending). */
  #indexAfter(lsn: bigint): number {
    let low = this.#first;
    let high = this.#batches.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.#batches[mid]!.lsnEnd > lsn) high = mid;
      else low = mid + 1;
    }
    return low;
  }

  #batchAfter(lsn: bigint): CdcBatch | undefined {
    return this.#batches[this.#indexAfter(lsn)];
  }

  /** Resolves `true` once the head passes `lsn`, `false` if `signal` aborts first. */
  #waitForAppend(lsn: bigint, signal: AbortSignal | undefined): Promise<boolean> {
    if (this.#head > lsn) return Promise.resolve(true);
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const done = (appended: boolean): void => {
        this.#waiters.delete(wake);
        signal?.removeEventListener('abort', onAbort);
        resolve(appended);
      };
      const wake = (): void => {
        if (this.#head > lsn) done(true);
      };
      const onAbort = (): void => {
        done(false);
      };
      this.#waiters.add(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
