/**
 * A bounds verifier for the flatbuffer metadata of Arrow IPC messages (`Message.fbs`,
 * `Schema.fbs`), run before arrow-js reads it. arrow-js trusts every length in the metadata: a
 * vector length patched to 2^31 makes it loop and allocate until the heap is exhausted, and a
 * negative offset can point a field at its own parent. This checks, for every table, vector and
 * string arrow-js reads, that it lies inside the metadata bytes, that offsets only point forward
 * (so there are no cycles) and that the whole walk visits at most one table per 4 metadata bytes
 * (so shared subtrees cannot multiply the work). The cost is linear in the metadata size.
 */

/** How to check one field of a table: scalar size, string, vector of fixed-size elements, table(s), or a union. */
type SlotSpec =
  | { readonly scalar: number }
  | { readonly string: true }
  | { readonly vector: number }
  | { readonly table: () => TableSpec }
  | { readonly tables: () => TableSpec }
  | { readonly union: (type: number) => TableSpec | undefined; readonly typeSlot: number };

/** The fields of a table, by slot number (flatbuffers numbers a union as two slots: type, then value). */
type TableSpec = readonly (SlotSpec | undefined)[];

const scalar = (bytes: number): SlotSpec => ({ scalar: bytes });
const string: SlotSpec = { string: true };

const KEY_VALUE: TableSpec = [string, string];
const INT: TableSpec = [scalar(4), scalar(1)];
const EMPTY: TableSpec = [];
/** The `Type` union of Schema.fbs: the table of each type id (22, 25 and 26 are types arrow-js cannot read). */
const TYPES: Readonly<Record<number, TableSpec>> = {
  1: EMPTY, // Null
  2: INT,
  3: [scalar(2)], // FloatingPoint
  4: EMPTY, // Binary
  5: EMPTY, // Utf8
  6: EMPTY, // Bool
  7: [scalar(4), scalar(4), scalar(4)], // Decimal
  8: [scalar(2)], // Date
  9: [scalar(2), scalar(4)], // Time
  10: [scalar(2), string], // Timestamp
  11: [scalar(2)], // Interval
  12: EMPTY, // List
  13: EMPTY, // Struct_
  14: [scalar(2), { vector: 4 }], // Union
  15: [scalar(4)], // FixedSizeBinary
  16: [scalar(4)], // FixedSizeList
  17: [scalar(1)], // Map
  18: [scalar(2)], // Duration
  19: EMPTY, // LargeBinary
  20: EMPTY, // LargeUtf8
  21: EMPTY, // LargeList
  23: EMPTY, // BinaryView
  24: EMPTY, // Utf8View
};
const DICTIONARY_ENCODING: TableSpec = [scalar(8), { table: () => INT }, scalar(1), scalar(2)];
const FIELD: TableSpec = [
  string, // name
  scalar(1), // nullable
  scalar(1), // type_type
  { union: (type) => TYPES[type], typeSlot: 2 },
  { table: () => DICTIONARY_ENCODING },
  { tables: () => FIELD }, // children
  { tables: () => KEY_VALUE },
];
const SCHEMA: TableSpec = [scalar(2), { tables: () => FIELD }, { tables: () => KEY_VALUE }, { vector: 8 }];
const RECORD_BATCH: TableSpec = [
  scalar(8), // length
  { vector: 16 }, // nodes: FieldNode { length, null_count }
  { vector: 16 }, // buffers: Buffer { offset, length }
  { table: () => [scalar(1), scalar(1)] }, // compression
  { vector: 8 }, // variadicBufferCounts
];
const DICTIONARY_BATCH: TableSpec = [scalar(8), { table: () => RECORD_BATCH }, scalar(1)];
/** Message headers arrow-js reads: Schema, DictionaryBatch, RecordBatch. */
const HEADERS: Readonly<Record<number, TableSpec>> = { 1: SCHEMA, 2: DICTIONARY_BATCH, 3: RECORD_BATCH };
const MESSAGE: TableSpec = [
  scalar(2), // version
  scalar(1), // header_type
  { union: (type) => HEADERS[type], typeSlot: 1 },
  scalar(8), // bodyLength
  { tables: () => KEY_VALUE },
];

/** Fields nest at most this deep (a list of structs of lists …). */
const MAX_DEPTH = 64;

class Invalid extends Error {}

class Verifier {
  readonly #view: DataView;
  readonly #size: number;
  #budget: number;

  constructor(bytes: Uint8Array) {
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#size = bytes.byteLength;
    this.#budget = Math.max(8, bytes.byteLength >> 2);
  }

  #need(pos: number, bytes: number, what: string): void {
    if (!Number.isSafeInteger(pos) || pos < 0 || pos + bytes > this.#size)
      throw new Invalid(`${what} at byte ${pos} lies outside the ${this.#size} metadata bytes`);
  }

  /** The position an offset stored at `pos` points to: forward only, inside the buffer. */
  #deref(pos: number, what: string): number {
    this.#need(pos, 4, what);
    const relative = this.#view.getInt32(pos, true);
    if (relative <= 0) throw new Invalid(`${what} at byte ${pos} points backwards (${relative})`);
    return pos + relative;
  }

  table(pos: number, spec: TableSpec, depth: number, what: string): void {
    if (--this.#budget < 0) throw new Invalid('the metadata has more tables than its size allows');
    if (depth > MAX_DEPTH) throw new Invalid(`${what} nests deeper than ${MAX_DEPTH} levels`);
    this.#need(pos, 4, what);
    const vtable = pos - this.#view.getInt32(pos, true);
    this.#need(vtable, 4, `${what} vtable`);
    const vtableSize = this.#view.getInt16(vtable, true);
    const tableSize = this.#view.getInt16(vtable + 2, true);
    if (vtableSize < 4 || vtableSize % 2 !== 0 || tableSize < 4)
      throw new Invalid(`${what} has a malformed vtable (${vtableSize} / ${tableSize} bytes)`);
    this.#need(vtable, vtableSize, `${what} vtable`);
    this.#need(pos, tableSize, what);
    const fieldAt = (slot: number, bytes: number): number | undefined => {
      if (4 + 2 * slot >= vtableSize) return undefined;
      const offset = this.#view.getInt16(vtable + 4 + 2 * slot, true);
      if (offset === 0) return undefined;
      if (offset < 4 || offset + bytes > tableSize) throw new Invalid(`${what} field ${slot} lies outside its table`);
      return pos + offset;
    };
    spec.forEach((slot, index) => {
      if (slot === undefined) return;
      const name = `${what}.${index}`;
      if ('scalar' in slot) {
        fieldAt(index, slot.scalar);
        return;
      }
      const at = fieldAt(index, 4);
      if (at === undefined) return;
      const target = this.#deref(at, name);
      if ('string' in slot) this.#vector(target, 1, name);
      else if ('vector' in slot) this.#vector(target, slot.vector, name);
      else if ('table' in slot) this.table(target, slot.table(), depth + 1, name);
      else if ('tables' in slot) {
        const count = this.#vector(target, 4, name);
        for (let i = 0; i < count; i++)
          this.table(this.#deref(target + 4 + 4 * i, name), slot.tables(), depth + 1, `${name}[${i}]`);
      } else {
        const typeAt = fieldAt(slot.typeSlot, 1);
        const type = typeAt === undefined ? 0 : this.#view.getUint8(typeAt);
        const member = slot.union(type);
        if (member === undefined) throw new Invalid(`${name} has union type ${type}, which is not supported`);
        this.table(target, member, depth + 1, name);
      }
    });
  }

  /** Checks a vector of `count` elements of `elementBytes` each at `pos`; returns `count`. */
  #vector(pos: number, elementBytes: number, what: string): number {
    this.#need(pos, 4, what);
    const count = this.#view.getInt32(pos, true);
    if (count < 0) throw new Invalid(`${what} has a negative length`);
    this.#need(pos + 4, count * elementBytes, `${what} (${count} elements)`);
    return count;
  }

  root(): void {
    this.#need(0, 4, 'root offset');
    this.table(this.#deref(0, 'root offset'), MESSAGE, 0, 'message');
  }
}

/**
 * Checks the flatbuffer metadata of one Arrow IPC message before it is decoded. Returns a problem
 * string, or undefined when every table, vector and string arrow-js reads from it is in bounds.
 */
export function checkMessageMetadata(metadata: Uint8Array): string | undefined {
  try {
    new Verifier(metadata).root();
    return undefined;
  } catch (error) {
    if (error instanceof Invalid) return `Arrow message metadata: ${error.message}`;
    throw error;
  }
}
