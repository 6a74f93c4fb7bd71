import { crc32 } from 'node:zlib';

/**
 * Raw msgpack and Baton envelope bytes for crafted (hostile) inputs: headers with any declared
 * count, nesting msgpackr's packer cannot produce (a million levels), duplicate map keys. Every
 * envelope gets a valid CRC-32, so the decoders' later checks are what the input attacks.
 */
export class MsgpackBytes {
  #bytes = new Uint8Array(1024);
  #at = 0;

  /** The bytes written. */
  get bytes(): Uint8Array {
    return this.#bytes.subarray(0, this.#at);
  }

  /** Appends raw bytes. */
  raw(bytes: ArrayLike<number>): this {
    this.#reserve(bytes.length);
    this.#bytes.set(bytes, this.#at);
    this.#at += bytes.length;
    return this;
  }

  /** Appends `count` copies of the byte `byte`. */
  repeat(byte: number, count: number): this {
    this.#reserve(count);
    this.#bytes.fill(byte, this.#at, this.#at + count);
    this.#at += count;
    return this;
  }

  /** An array header declaring `count` items (array 32). */
  array(count: number): this {
    return this.#sized(0xdd, count);
  }

  /** A map header declaring `count` entries (map 32). */
  map(count: number): this {
    return this.#sized(0xdf, count);
  }

  /** A string (fixstr or str 8). */
  str(text: string): this {
    const utf8 = Buffer.from(text, 'utf8');
    if (utf8.length < 32) this.raw([0xa0 | utf8.length]);
    else this.raw([0xd9, utf8.length]);
    return this.raw(utf8);
  }

  /** A byte string (bin 8 or bin 32). */
  bin(bytes: ArrayLike<number>): this {
    if (bytes.length < 256) this.raw([0xc4, bytes.length]);
    else this.#sized(0xc6, bytes.length);
    return this.raw(bytes);
  }

  /** A non-negative integer below 2^32 in its shortest msgpack form. */
  uint(value: number): this {
    if (value < 0x80) return this.raw([value]);
    if (value < 0x100) return this.raw([0xcc, value]);
    if (value < 0x10000) return this.raw([0xcd, value >> 8, value & 0xff]);
    return this.#sized(0xce, value);
  }

  /** An integer in [-2^15, 2^32) in its shortest msgpack form. */
  int(value: number): this {
    if (value >= 0) return this.uint(value);
    if (value >= -32) return this.raw([value & 0xff]);
    if (value >= -128) return this.raw([0xd0, value & 0xff]);
    return this.raw([0xd1, (value >> 8) & 0xff, value & 0xff]);
  }

  #sized(token: number, count: number): this {
    this.#reserve(5);
    const view = new DataView(this.#bytes.buffer);
    this.#bytes[this.#at] = token;
    view.setUint32(this.#at + 1, count >>> 0);
    this.#at += 5;
    return this;
  }

  #reserve(size: number): void {
    if (this.#at + size <= this.#bytes.length) return;
    const grown = new Uint8Array(Math.max(this.#at + size, this.#bytes.length * 2));
    grown.set(this.#bytes.subarray(0, this.#at));
    this.#bytes = grown;
  }
}

/** A Baton envelope (`BTNE`, layout 1, CRC-32, length) of `[kind, formatVersion, <body bytes>]`. */
export function craftedEnvelope(kind: string, formatVersion: number, body: Uint8Array): Uint8Array {
  const head = new MsgpackBytes().raw([0x93]).str(kind).uint(formatVersion).bytes;
  const payload = new Uint8Array(head.length + body.length);
  payload.set(head);
  payload.set(body, head.length);
  const out = new Uint8Array(13 + payload.length);
  out.set([0x42, 0x54, 0x4e, 0x45, 1]);
  const view = new DataView(out.buffer);
  view.setUint32(5, crc32(payload), true);
  view.setUint32(9, payload.length, true);
  out.set(payload, 13);
  return out;
}

/** The `i`-th of the shortest distinct strings over 95 printable ASCII characters ("!", "\"", …, "!!", …). */
export function shortId(i: number): string {
  let id = '';
  let n = i;
  for (;;) {
    id += String.fromCharCode(0x21 + (n % 94));
    n = Math.floor(n / 94) - 1;
    if (n < 0) return id;
  }
}
