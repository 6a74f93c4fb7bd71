/**
 * Reads msgpack value headers from bytes without decoding values: the type family of the next
 * value, its length (string/byte-string/extension bytes, array items, map entries) and, for
 * integers of at most 32 bits, the value. Allocates nothing per value.
 */

/** A msgpack integer of at most 32 bits (fixint, uint/int 8..32). */
export const INT = 0;
/** A msgpack 64-bit integer (uint64/int64; msgpackr decodes it as a bigint). */
export const INT64 = 1;
/** A msgpack float (32 or 64 bits). */
export const FLOAT = 2;
/** `nil`. */
export const NIL = 3;
/** `true` or `false`. */
export const BOOL = 4;
/** A text string. */
export const STR = 5;
/** A byte string. */
export const BIN = 6;
/** An extension value (`extType`, `length` bytes). */
export const EXT = 7;
/** An array of `length` items. */
export const ARRAY = 8;
/** A map of `length` entries. */
export const MAP = 9;

const FAMILY_NAMES = [
  'an integer',
  'a 64-bit integer',
  'a float',
  'nil',
  'a boolean',
  'a string',
  'a byte string',
  'an extension value',
  'an array',
  'a map',
] as const;

/** What a family is, in words (`a string`, `an array`…). */
export function familyName(family: number): string {
  return FAMILY_NAMES[family] ?? 'an unknown value';
}

/**
 * A cursor over msgpack bytes `[at, end)`. {@link MsgpackHead.next} reads the header of the next
 * value; scalars are consumed whole, strings, byte strings and extensions up to their payload
 * (whose length is checked against the bytes left), arrays and maps up to their first item.
 */
export class MsgpackHead {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly end: number;
  at: number;
  /** Family of the value last read. */
  family = NIL;
  /** Payload bytes (STR, BIN, EXT), items (ARRAY) or entries (MAP) of the value last read; else 0. */
  length = 0;
  /** Extension type of the value last read (EXT only). */
  extType = 0;
  /** Value of the integer last read (INT only). */
  int = 0;
  /** Encoded size of the number last read (INT, INT64, FLOAT), header included. */
  size = 0;

  constructor(
    bytes: Uint8Array,
    at: number,
    end: number,
    readonly fail: (message: string) => Error,
  ) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.at = at;
    this.end = end;
  }

  /** True when the value last read is of `family` (a method, so type narrowing does not outlive {@link next}). */
  is(family: number): boolean {
    return this.family === family;
  }

  /** Bytes not read yet. */
  get left(): number {
    return this.end - this.at;
  }

  /** Reads the header of the next value (see the class comment); throws `fail` on truncated or invalid bytes. */
  next(): void {
    const at = this.at;
    if (at >= this.end) throw this.fail(`the data ends at byte ${at} where a value was expected`);
    const token = this.bytes[at]!;
    this.length = 0;
    if (token < 0x80 || token >= 0xe0) {
      this.#int(token < 0x80 ? token : token - 0x100, 1);
      return;
    }
    if (token < 0x90) {
      this.#container(MAP, token & 0x0f, 1);
      return;
    }
    if (token < 0xa0) {
      this.#container(ARRAY, token & 0x0f, 1);
      return;
    }
    if (token < 0xc0) {
      this.#payload(STR, token & 0x1f, 1);
      return;
    }
    const view = this.view;
    switch (token) {
      case 0xc0:
        this.family = NIL;
        this.at = at + 1;
        return;
      case 0xc2:
      case 0xc3:
        this.family = BOOL;
        this.at = at + 1;
        return;
      case 0xc4: {
        this.#payload(BIN, this.#u8(at + 1), 2);
        return;
      }
      case 0xc5: {
        this.#payload(BIN, this.#u16(at + 1), 3);
        return;
      }
      case 0xc6: {
        this.#payload(BIN, this.#u32(at + 1), 5);
        return;
      }
      case 0xc7: {
        this.#ext(this.#u8(at + 1), 2);
        return;
      }
      case 0xc8: {
        this.#ext(this.#u16(at + 1), 3);
        return;
      }
      case 0xc9: {
        this.#ext(this.#u32(at + 1), 5);
        return;
      }
      case 0xca: {
        this.#number(FLOAT, 5);
        return;
      }
      case 0xcb: {
        this.#number(FLOAT, 9);
        return;
      }
      case 0xcc: {
        this.#int(this.#u8(at + 1), 2);
        return;
      }
      case 0xcd: {
        this.#int(this.#u16(at + 1), 3);
        return;
      }
      case 0xce: {
        this.#int(this.#u32(at + 1), 5);
        return;
      }
      case 0xcf:
      case 0xd3: {
        this.#number(INT64, 9);
        return;
      }
      case 0xd0:
        this.#need(2);
        {
          this.#int(view.getInt8(at + 1), 2);
          return;
        }
      case 0xd1:
        this.#need(3);
        {
          this.#int(view.getInt16(at + 1), 3);
          return;
        }
      case 0xd2:
        this.#need(5);
        {
          this.#int(view.getInt32(at + 1), 5);
          return;
        }
      case 0xd4:
      case 0xd5:
      case 0xd6:
      case 0xd7:
      case 0xd8: {
        this.#ext(1 << (token - 0xd4), 1);
        return;
      }
      case 0xd9: {
        this.#payload(STR, this.#u8(at + 1), 2);
        return;
      }
      case 0xda: {
        this.#payload(STR, this.#u16(at + 1), 3);
        return;
      }
      case 0xdb: {
        this.#payload(STR, this.#u32(at + 1), 5);
        return;
      }
      case 0xdc: {
        this.#container(ARRAY, this.#u16(at + 1), 3);
        return;
      }
      case 0xdd: {
        this.#container(ARRAY, this.#u32(at + 1), 5);
        return;
      }
      case 0xde: {
        this.#container(MAP, this.#u16(at + 1), 3);
        return;
      }
      case 0xdf: {
        this.#container(MAP, this.#u32(at + 1), 5);
        return;
      }
      default:
        throw this.fail(`byte ${at} holds 0x${token.toString(16)}, which starts no msgpack value`);
    }
  }

  /** Skips the payload of the STR, BIN or EXT value last read. */
  skipPayload(): void {
    this.at += this.length;
  }

  #need(size: number): void {
    if (size > this.end - this.at) throw this.fail(`the value at byte ${this.at} is truncated`);
  }

  #u8(at: number): number {
    this.#need(2);
    return this.bytes[at]!;
  }

  #u16(at: number): number {
    this.#need(3);
    return this.view.getUint16(at);
  }

  #u32(at: number): number {
    this.#need(5);
    return this.view.getUint32(at);
  }

  #int(value: number, size: number): void {
    this.#need(size);
    this.family = INT;
    this.int = value;
    this.size = size;
    this.at += size;
  }

  #number(family: number, size: number): void {
    this.#need(size);
    this.family = family;
    this.size = size;
    this.at += size;
  }

  #container(family: number, length: number, header: number): void {
    this.family = family;
    this.length = length;
    this.at += header;
  }

  #payload(family: number, length: number, header: number): void {
    if (length > this.end - this.at - header)
      throw this.fail(
        `${familyName(family)} at byte ${this.at} declares ${length} bytes, ${Math.max(0, this.end - this.at - header)} are left`,
      );
    this.family = family;
    this.length = length;
    this.at += header;
  }

  #ext(length: number, header: number): void {
    this.#need(header + 1);
    this.extType = this.bytes[this.at + header]!;
    this.#payload(EXT, length, header + 1);
  }
}
