import type { CallOptions, IndexHandle, IndexSnapshot } from '@baton/core';
import { Field, makeData, Uint32 } from 'apache-arrow';
import type { Data, DataType, RecordBatch, Utf8 } from 'apache-arrow';
import { checkHandleState, isOrderedState } from './indexArguments.js';
import { checkK, closedIndex, invalidIndexArgument, throwIfAborted } from './indexErrors.js';
import { META_CRC32, META_FORMAT_VERSION, META_KIND, META_ROWS } from './indexFile.js';
import { writeIndexFile } from './indexWriter.js';
import type { SortedKeys } from './orderedKeys.js';
import type { OrderedIndexState } from './orderedIndexState.js';
import { ORDERED_KIND } from './indexLimits.js';
import { readRanges } from './orderedQuery.js';
import { searchRange } from './orderedSearch.js';
import { orderedSnapshot } from './orderedSnapshot.js';
import { orderedResultSchema, resultBatch } from './resultBatch.js';

/** Format version {@link OrderedIndexHandle.persist} writes. */
export const ORDERED_FORMAT_VERSION = 1;

/**
 * An open ordered index over a scalar column: keys sorted once (ascending, ties by row id) in typed
 * arrays, answering equality and range lookups by binary search. Read-only: probes never change it.
 * See {@link orderedIndex} and {@link readRanges} for the query format.
 */
export class OrderedIndexHandle implements IndexHandle {
  #state: OrderedIndexState | undefined;

  /** @internal The kind's own way to make one (providers, formats, tests). */
  static create(state: OrderedIndexState): OrderedIndexHandle {
    return new OrderedIndexHandle(state);
  }

  /**
   * An index over `state` (used by the provider's build, open and adopt; a state they would not make is
   * `INVALID_ARGUMENT`). Use a provider (`orderedIndex().build`, `open`, `adopt`).
   */
  private constructor(state: OrderedIndexState) {
    checkHandleState(ORDERED_KIND, 'OrderedIndexHandle', isOrderedState(state));
    this.#state = state;
  }

  /** The Arrow type of the indexed keys. */
  get keyType(): DataType {
    return this.#open('keyType').keys.type;
  }

  /** How many rows are indexed (rows with a null or NaN key are not). */
  get size(): number {
    return this.#open('size').keys.count;
  }

  /**
   * Row ids in key order (ties by row id), `size` long. Read-only by contract. After `open` of
   * aligned bytes this is a view over the input's ArrayBuffer (no copy was made).
   */
  get rowIds(): Uint32Array {
    return this.#open('rowIds').keys.rowIds;
  }

  /**
   * For each query row (see {@link readRanges}: a `key` column, or `lo`/`hi` with optional
   * `loInclusive`/`hiInclusive`), up to `k` matching rows: columns `query` (Int32, the query row)
   * and `row` (Int32, the source row id), ordered by query row, then key, then row id. `k <= 0`
   * gives no rows.
   */
  probe(query: RecordBatch, k: number): RecordBatch {
    const { keys, maxProbeResults } = this.#open('probe');
    checkK(ORDERED_KIND, k);
    const ranges = readRanges(query, keys.type, keys.family);
    const limit = Math.max(0, k);
    const spans = ranges.map((range) =>
      range === undefined || limit === 0 ? { start: 0, end: 0 } : searchRange(keys, range),
    );
    let total = 0;
    for (const span of spans) total += Math.min(limit, span.end - span.start);
    if (total > maxProbeResults)
      throw invalidIndexArgument(
        ORDERED_KIND,
        'probe',
        `the probe matches ${total} rows, over the limit of ${maxProbeResults}`,
      );
    const queries = new Int32Array(total);
    const rows = new Int32Array(total);
    let written = 0;
    spans.forEach(({ start, end }, queryRow) => {
      const count = Math.min(limit, end - start);
      rows.set(keys.rowIds.subarray(start, start + count), written);
      queries.fill(queryRow, written, written + count);
      written += count;
    });
    return resultBatch(orderedResultSchema, [queries, rows], total);
  }

  /**
   * Serialises the index as an Arrow IPC file: a `key` column of the key type and a `row` column
   * (Uint32), both non-null and in key order, plus schema metadata (kind, format version, row count,
   * CRC-32 of the data). The key and row buffers are copied once, into the output.
   */
  persist(options?: CallOptions): Uint8Array {
    const { keys, crc32 } = this.#open('persist');
    throwIfAborted(ORDERED_KIND, 'persist', options);
    const { type, count } = keys;
    let keyData: Data;
    if (keys.family === 'utf8') {
      keyData = makeData({
        type: type as Utf8,
        length: count,
        nullCount: 0,
        valueOffsets: keys.offsets!,
        data: keys.bytes!,
      });
    } else {
      keyData = makeData({ type, length: count, nullCount: 0, data: keys.values } as Parameters<typeof makeData>[0]);
    }
    const fields = [new Field('key', type, false), new Field('row', new Uint32(), false)];
    const rowData = makeData({ type: new Uint32(), length: count, nullCount: 0, data: keys.rowIds });
    const metadata = new Map([
      [META_KIND, ORDERED_KIND],
      [META_FORMAT_VERSION, String(ORDERED_FORMAT_VERSION)],
      [META_ROWS, String(count)],
      [META_CRC32, String(crc32)],
    ]);
    return writeIndexFile(fields, [keyData, rowData], count, metadata);
  }

  /**
   * The index as it lies in memory, layout `ordered/1` (see `orderedSnapshot.ts`), for the next
   * version's `orderedIndex().adopt` in this process: the sorted keys (or UTF-8 offsets and bytes) and
   * row ids, shared (no copy), with the key type as plain text, the row count and the CRC-32 computed
   * at build or open in `meta`. O(1): no pass over the data. Neither side writes to the buffers
   * afterwards; `close()` of this handle drops only its own references, so an adopted handle keeps
   * answering. An aborted `options.signal` is `ABORTED`.
   */
  snapshot(options?: CallOptions): IndexSnapshot {
    const state = this.#open('snapshot');
    throwIfAborted(ORDERED_KIND, 'snapshot', options);
    return orderedSnapshot(state);
  }

  /**
   * Releases this handle's references to the keys. Idempotent; every later call throws
   * `RESOURCE_CLOSED`. A handle adopted from its snapshot holds its own references and keeps working.
   */
  close(): void {
    this.#state = undefined;
  }

  #open(step: string): OrderedIndexState {
    if (this.#state === undefined) throw closedIndex(ORDERED_KIND, step);
    return this.#state;
  }
}

/** The buffers whose CRC-32 a persisted ordered index carries, in order. */
export function orderedChecksumViews(keys: SortedKeys): ArrayBufferView[] {
  if (keys.family === 'utf8') return [keys.offsets!, keys.bytes!, keys.rowIds];
  return [keys.values!, keys.rowIds];
}
