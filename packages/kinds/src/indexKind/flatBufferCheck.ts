/**
 * Bounds-checked reading of FlatBuffers (the encoding of Arrow IPC metadata), mirroring how the
 * `flatbuffers` package reads them (signed 32-bit offsets, signed 16-bit vtable entries), so a
 * table, vector or string that passed here is read from the same bytes by Arrow. Every table
 * visited is counted: a buffer whose offsets point at the same table many times (a DAG) cannot
 * make a reader do more work than its size allows.
 */
export class FlatBufferCheck {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #fail: (message: string) => Error;
  /** Table visits still allowed (each reference to a table is a visit, as it is a decode in Arrow). */
  #budget: number;

  constructor(bytes: Uint8Array, fail: (message: string) => Error) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#fail = fail;
    // A table takes at least 4 bytes (its vtable offset): a tree of distinct tables has fewer.
    this.#budget = Math.floor(bytes.byteLength / 4);
  }

  /** The root table of the buffer. */
  root(what: string): FlatTable {
    return this.table(this.#target(0, what), what);
  }

  /** The table at `pos`, after checking its vtable and inline size lie within the buffer. */
  table(pos: number, what: string): FlatTable {
    if (--this.#budget < 0) throw this.#fail(`${what}: more tables than the metadata's size allows`);
    this.#need(pos, 4, what);
    const vtable = pos - this.#view.getInt32(pos, true);
    this.#need(vtable, 4, `${what} vtable`);
    const vtableSize = this.#view.getUint16(vtable, true);
    const inlineSize = this.#view.getUint16(vtable + 2, true);
    if (vtableSize < 4 || vtableSize % 2 !== 0 || vtableSize >= 0x8000)
      throw this.#fail(`${what}: bad vtable size ${vtableSize}`);
    this.#need(vtable, vtableSize, `${what} vtable`);
    if (inlineSize < 4 || inlineSize >= 0x8000) throw this.#fail(`${what}: bad table size ${inlineSize}`);
    this.#need(pos, inlineSize, what);
    return new FlatTable(this, pos, vtable, vtableSize, inlineSize, what);
  }

  /** A scalar field's bytes `[pos, pos + size)` lie within the buffer. */
  need(pos: number, size: number, what: string): void {
    this.#need(pos, size, what);
  }

  /** The element count of the vector an offset field at `pos` points to, checked to fit `elementSize` bytes each. */
  vector(pos: number, elementSize: number, max: number, what: string): { start: number; length: number } {
    const at = this.#target(pos, what);
    this.#need(at, 4, what);
    const length = this.#view.getInt32(at, true);
    if (length < 0 || length > max) throw this.#fail(`${what}: ${length} items (at most ${max} expected)`);
    this.#need(at + 4, length * elementSize, what);
    return { start: at + 4, length };
  }

  /** Checks a string field at `pos` (its bytes within the buffer, at most `maxBytes`). */
  string(pos: number, maxBytes: number, what: string): void {
    this.vector(pos, 1, maxBytes, what);
  }

  /** The table an offset at `pos` points to. */
  indirectTable(pos: number, what: string): FlatTable {
    return this.table(this.#target(pos, what), what);
  }

  int32(pos: number): number {
    return this.#view.getInt32(pos, true);
  }

  uint16(pos: number): number {
    return this.#view.getUint16(pos, true);
  }

  uint8(pos: number): number {
    return this.#bytes[pos]!;
  }

  /** A signed 64-bit integer as a number, refused beyond the safe-integer range. */
  int64(pos: number, what: string): number {
    const value = this.#view.getBigInt64(pos, true);
    if (value < BigInt(Number.MIN_SAFE_INTEGER) || value > BigInt(Number.MAX_SAFE_INTEGER))
      throw this.#fail(`${what} = ${value} is beyond the safe-integer range`);
    return Number(value);
  }

  fail(message: string): Error {
    return this.#fail(message);
  }

  /** Where the (signed, as flatbuffers reads it) offset at `pos` points, checked to lie within the buffer. */
  #target(pos: number, what: string): number {
    this.#need(pos, 4, what);
    const at = pos + this.#view.getInt32(pos, true);
    this.#need(at, 1, what);
    return at;
  }

  #need(pos: number, size: number, what: string): void {
    if (pos < 0 || size < 0 || pos + size > this.#bytes.byteLength)
      throw this.#fail(
        `${what} at ${pos} (${size} bytes) lies outside the ${this.#bytes.byteLength} bytes of metadata`,
      );
  }
}

/** A checked table: field `i` is read only after its vtable entry and bytes are checked. */
export class FlatTable {
  constructor(
    readonly buffer: FlatBufferCheck,
    readonly pos: number,
    readonly vtable: number,
    readonly vtableSize: number,
    readonly inlineSize: number,
    readonly what: string,
  ) {}

  /** Where field `i` (of `size` inline bytes) is, or `undefined` when absent. */
  field(i: number, size: number): number | undefined {
    const entry = 4 + 2 * i;
    if (entry >= this.vtableSize) return undefined;
    const offset = this.buffer.uint16(this.vtable + entry);
    if (offset === 0) return undefined;
    if (offset >= 0x8000 || offset + size > this.inlineSize)
      throw this.buffer.fail(`${this.what}: field ${i} at ${offset} lies outside the table`);
    return this.pos + offset;
  }

  /** Field `i`, an offset to a table, or `undefined` when absent. */
  table(i: number, what: string): FlatTable | undefined {
    const at = this.field(i, 4);
    return at === undefined ? undefined : this.buffer.indirectTable(at, what);
  }

  /** Field `i`, a vector of `elementSize`-byte items (0 items when absent). */
  vector(i: number, elementSize: number, max: number, what: string): { start: number; length: number } {
    const at = this.field(i, 4);
    return at === undefined ? { start: 0, length: 0 } : this.buffer.vector(at, elementSize, max, what);
  }

  /** Field `i`, a vector of tables, each checked. */
  tables(i: number, max: number, what: string): FlatTable[] {
    const { start, length } = this.vector(i, 4, max, what);
    return Array.from({ length }, (_, k) => this.buffer.indirectTable(start + 4 * k, `${what}[${k}]`));
  }

  /** Field `i`, a string of at most `maxBytes` bytes (absent is fine). */
  string(i: number, maxBytes: number, what: string): void {
    const at = this.field(i, 4);
    if (at !== undefined) this.buffer.string(at, maxBytes, what);
  }

  /** Field `i`, a ubyte (`fallback` when absent). */
  uint8(i: number, fallback: number): number {
    const at = this.field(i, 1);
    return at === undefined ? fallback : this.buffer.uint8(at);
  }

  /** Field `i`, a ushort (`fallback` when absent). */
  uint16(i: number, fallback: number): number {
    const at = this.field(i, 2);
    return at === undefined ? fallback : this.buffer.uint16(at);
  }

  /** Field `i`, a signed 64-bit integer within the safe range (`fallback` when absent). */
  int64(i: number, fallback: number, what: string): number {
    const at = this.field(i, 8);
    return at === undefined ? fallback : this.buffer.int64(at, what);
  }
}
