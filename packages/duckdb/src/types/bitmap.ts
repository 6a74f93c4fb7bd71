/**
 * An Arrow validity bitmap (LSB first) being filled row by row: allocated only once a null is seen,
 * so an all-valid column carries none.
 */
export class ValidityBuilder {
  #bitmap: Uint8Array | undefined;
  #nullCount = 0;

  constructor(readonly length: number) {}

  /** Marks `row` null. */
  setNull(row: number): void {
    this.#bitmap ??= new Uint8Array(Math.ceil(this.length / 8)).fill(0xff);
    this.#bitmap[row >> 3]! &= ~(1 << (row & 7));
    this.#nullCount++;
  }

  get nullCount(): number {
    return this.#nullCount;
  }

  /** What `makeData` takes: the null count, and the bitmap when a row is null. */
  data(): { nullCount: number; nullBitmap?: Uint8Array } {
    return this.#bitmap ? { nullCount: this.#nullCount, nullBitmap: this.#bitmap } : { nullCount: 0 };
  }
}
