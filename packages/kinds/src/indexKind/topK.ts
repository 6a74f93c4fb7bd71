/**
 * Bounded selection of the `k` smallest `(distance, row)` pairs: a binary max-heap of capacity `k`
 * whose root is the worst pair kept. Pairs order by distance, then by row id, so the selection is
 * deterministic when distances tie. `offer` is O(1) for a pair that cannot enter and O(log k)
 * otherwise. NaN distances are not expected (callers only offer finite or infinite distances).
 *
 * One instance is reused across query rows: {@link TopK.reset} empties it without allocating.
 */
export class TopK {
  readonly #distances: Float64Array;
  readonly #rows: Uint32Array;
  #size = 0;

  /** A selector keeping at most `capacity` pairs. */
  constructor(readonly capacity: number) {
    this.#distances = new Float64Array(capacity);
    this.#rows = new Uint32Array(capacity);
  }

  /** How many pairs are kept. */
  get size(): number {
    return this.#size;
  }

  /** Empties the selector. */
  reset(): void {
    this.#size = 0;
  }

  /** Offers a candidate; it is kept if fewer than `capacity` pairs are kept or it beats the worst. */
  offer(distance: number, row: number): void {
    const d = this.#distances;
    const r = this.#rows;
    if (this.#size < this.capacity) {
      let at = this.#size++;
      while (at > 0) {
        const parent = (at - 1) >> 1;
        if (!worse(distance, row, d[parent]!, r[parent]!)) break;
        d[at] = d[parent]!;
        r[at] = r[parent]!;
        at = parent;
      }
      d[at] = distance;
      r[at] = row;
      return;
    }
    if (this.capacity === 0 || !worse(d[0]!, r[0]!, distance, row)) return;
    this.#siftDown(distance, row, this.#size);
  }

  /**
   * Writes the kept pairs in ascending order into `rows`/`distances` starting at `offset`, and
   * empties the selector. Returns how many pairs were written.
   */
  drainSorted(rows: Int32Array, distances: Float32Array, offset: number): number {
    const count = this.#size;
    const d = this.#distances;
    const r = this.#rows;
    for (let out = offset + count - 1; this.#size > 0; out--) {
      rows[out] = r[0]!;
      distances[out] = d[0]!;
      const last = --this.#size;
      if (last > 0) this.#siftDown(d[last]!, r[last]!, last);
    }
    return count;
  }

  /** Places `(distance, row)` at the root and sifts it down within the first `size` slots. */
  #siftDown(distance: number, row: number, size: number): void {
    const d = this.#distances;
    const r = this.#rows;
    let at = 0;
    for (;;) {
      let child = 2 * at + 1;
      if (child >= size) break;
      const right = child + 1;
      if (right < size && worse(d[right]!, r[right]!, d[child]!, r[child]!)) child = right;
      if (!worse(d[child]!, r[child]!, distance, row)) break;
      d[at] = d[child]!;
      r[at] = r[child]!;
      at = child;
    }
    d[at] = distance;
    r[at] = row;
  }
}

/** True when pair `a` ranks after pair `b` (larger distance, or equal distance and larger row id). */
function worse(da: number, ra: number, db: number, rb: number): boolean {
  return da > db || (da === db && ra > rb);
}
