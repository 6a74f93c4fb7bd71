/**
 * Variable-length byte items stored as one column: item `k` is `bytes[offsets[k], offsets[k + 1])`.
 * Immutable once built. A changed column is built from the previous one by
 * {@link ByteColumnBuilder}, which copies runs of unchanged items as bytes.
 */
export interface ByteColumn {
  readonly bytes: Uint8Array;
  /** `count + 1` byte offsets, from 0 to `bytes.length`. */
  readonly offsets: Uint32Array;
}

/** The number of items of `column`. */
export function itemCount(column: ByteColumn): number {
  return column.offsets.length - 1;
}

/** The largest column (its offsets are 32-bit, as is the length of the envelope that persists it). */
const MAX_COLUMN_BYTES = 0xffff_ffff;

/** Throws a `RangeError` when a column of `size` bytes would be too large. */
export function checkColumnSize(size: number): void {
  if (size > MAX_COLUMN_BYTES)
    throw new RangeError(
      `a column of ${size} bytes exceeds the largest persistable column (${MAX_COLUMN_BYTES} bytes)`,
    );
}

/**
 * Builds a column in order from runs of items of a previous column (copied as bytes, never
 * re-encoded) and new items.
 */
export class ByteColumnBuilder {
  readonly #previous: ByteColumn;
  /** Per part: the first previous item kept, or `-1 - i` for the new item `#added[i]`. */
  readonly #starts: number[] = [];
  /** Per part: the end (exclusive) of the previous items kept (unused for new items). */
  readonly #ends: number[] = [];
  readonly #added: Uint8Array[] = [];

  constructor(previous: ByteColumn) {
    this.#previous = previous;
  }

  /** Appends the previous items `[from, to)` (nothing when the range is empty). */
  keep(from: number, to: number): void {
    if (from >= to) return;
    const last = this.#ends.length - 1;
    if (last >= 0 && this.#starts[last]! >= 0 && this.#ends[last] === from) this.#ends[last] = to;
    else {
      this.#starts.push(from);
      this.#ends.push(to);
    }
  }

  /** Appends a new item. */
  add(item: Uint8Array): void {
    this.#starts.push(-1 - this.#added.length);
    this.#ends.push(-1);
    this.#added.push(item);
  }

  /** The column built: the previous one itself when it was kept whole and nothing was added. */
  build(): ByteColumn {
    const previous = this.#previous;
    const [starts, ends, added] = [this.#starts, this.#ends, this.#added];
    const count = itemCount(previous);
    const whole = starts.length === 0 ? count === 0 : starts.length === 1 && starts[0] === 0 && ends[0] === count;
    if (whole) return previous;
    let size = 0;
    let items = 0;
    for (let p = 0; p < starts.length; p++) {
      const start = starts[p]!;
      if (start < 0) {
        size += added[-1 - start]!.length;
        items++;
      } else {
        size += previous.offsets[ends[p]!]! - previous.offsets[start]!;
        items += ends[p]! - start;
      }
    }
    checkColumnSize(size);
    const bytes = new Uint8Array(size);
    const offsets = new Uint32Array(items + 1);
    let at = 0;
    let k = 0;
    for (let p = 0; p < starts.length; p++) {
      const start = starts[p]!;
      if (start < 0) {
        const item = added[-1 - start]!;
        bytes.set(item, at);
        at += item.length;
        offsets[++k] = at;
        continue;
      }
      const end = ends[p]!;
      const from = previous.offsets[start]!;
      bytes.set(previous.bytes.subarray(from, previous.offsets[end]), at);
      const shift = at - from;
      if (shift === 0) offsets.set(previous.offsets.subarray(start + 1, end + 1), k + 1);
      else for (let i = start + 1; i <= end; i++) offsets[k + i - start] = previous.offsets[i]! + shift;
      k += end - start;
      at = offsets[k]!;
    }
    return { bytes, offsets };
  }
}

/** Writes items one after the other into a growing buffer, recording their offsets. */
export class ByteColumnWriter {
  bytes: Uint8Array;
  /** The offset where the next byte goes. */
  at = 0;
  readonly #offsets: Uint32Array;
  #count = 0;

  /** A writer of `count` items, starting with room for `sizeHint` bytes. */
  constructor(count: number, sizeHint: number) {
    this.bytes = new Uint8Array(Math.max(16, sizeHint));
    this.#offsets = new Uint32Array(count + 1);
  }

  /** Makes room for `size` more bytes. */
  reserve(size: number): void {
    if (this.at + size <= this.bytes.length) return;
    checkColumnSize(this.at + size);
    const grown = new Uint8Array(Math.max(this.at + size, this.bytes.length * 2));
    grown.set(this.bytes.subarray(0, this.at));
    this.bytes = grown;
  }

  /** Ends the current item (its bytes are those written since the previous end). */
  endItem(): void {
    this.#offsets[++this.#count] = this.at;
  }

  /** The column written (every item ended); a view of the buffer when little of it is unused. */
  finish(): ByteColumn {
    if (this.#count !== this.#offsets.length - 1) throw new Error('ByteColumnWriter: not every item was written');
    const used = this.at * 4 >= this.bytes.length * 3;
    return { bytes: used ? this.bytes.subarray(0, this.at) : this.bytes.slice(0, this.at), offsets: this.#offsets };
  }
}
