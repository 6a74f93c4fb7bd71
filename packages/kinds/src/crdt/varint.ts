/**
 * Unsigned LEB128 varints of safe integers (7 bits a byte, low group first, high bit = more),
 * at most 8 bytes each. Used by compact persisted formats (e.g. g-counter v2).
 */

/** Most bytes one varint of a safe integer takes (⌈53 / 7⌉). */
const MAX_VARINT_BYTES = 8;

/** Encodes non-negative safe integers (the caller guarantees the domain) as concatenated varints. */
export function encodeVarints(values: readonly number[]): Uint8Array {
  let size = 0;
  for (const value of values) size += varintSize(value);
  const writer = new VarintWriter(size);
  for (const value of values) writer.write(value);
  return writer.bytes;
}

/** The number of bytes the varint of `value` (a non-negative safe integer) takes. */
export function varintSize(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    size++;
  }
  return size;
}

/**
 * Writes the varint of `value` (a non-negative safe integer) at `out[at]` and returns the offset
 * after it; `out` must have room for it (at most 8 bytes).
 */
export function writeVarint(out: Uint8Array, at: number, value: number): number {
  while (value >= 0x80) {
    out[at++] = (value % 0x80) | 0x80;
    value = Math.floor(value / 0x80);
  }
  out[at++] = value;
  return at;
}

/** Writes varints into a buffer of a size computed beforehand with {@link varintSize}. */
class VarintWriter {
  readonly bytes: Uint8Array;
  #at = 0;

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
  }

  /** Appends the varint of `value` (a non-negative safe integer). */
  write(value: number): void {
    const out = this.bytes;
    while (value >= 0x80) {
      out[this.#at++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    out[this.#at++] = value;
  }
}

/**
 * Reads varints one by one from `bytes`. Every problem (truncated, overlong, beyond
 * `Number.MAX_SAFE_INTEGER`) is thrown as the error `fail(message)` returns.
 */
export class VarintReader {
  readonly #bytes: Uint8Array;
  readonly #fail: (message: string) => Error;
  #at = 0;

  constructor(bytes: Uint8Array, fail: (message: string) => Error) {
    this.#bytes = bytes;
    this.#fail = fail;
  }

  /** True when every byte has been read. */
  get done(): boolean {
    return this.#at === this.#bytes.length;
  }

  /** The number of bytes not read yet. */
  get remaining(): number {
    return this.#bytes.length - this.#at;
  }

  /** The next varint; errors name it by its byte offset. */
  next(): number {
    const value = readVarint(this.#bytes, this.#at, this.#fail);
    this.#at += varintSize(value);
    return value;
  }

  /** Throws unless every byte has been read. */
  expectEnd(): void {
    if (!this.done) throw this.#fail(`${this.remaining} bytes follow the last varint`);
  }
}

/**
 * The varint at `bytes[at]`, checked: truncated, overlong (so it takes exactly
 * {@link varintSize}`(value)` bytes) or beyond `Number.MAX_SAFE_INTEGER` throws `fail(message)`.
 */
export function readVarint(bytes: Uint8Array, at: number, fail: (message: string) => Error): number {
  // Values below 2^14 (one or two bytes, the second not 0) are read inline.
  const first = bytes[at];
  if (first !== undefined && first < 0x80) return first;
  const second = bytes[at + 1];
  if (first !== undefined && second !== undefined && second < 0x80 && second !== 0)
    return (first & 0x7f) | (second << 7);
  return readLongVarint(bytes, at, fail);
}

function readLongVarint(bytes: Uint8Array, at: number, fail: (message: string) => Error): number {
  let value = 0;
  let scale = 1;
  for (let n = 0; ; n++) {
    if (at + n >= bytes.length) throw fail(`the varint at byte ${at} is truncated`);
    if (n === MAX_VARINT_BYTES) throw fail(`the varint at byte ${at} is longer than ${MAX_VARINT_BYTES} bytes`);
    const byte = bytes[at + n]!;
    value += (byte & 0x7f) * scale;
    scale *= 0x80;
    if (byte < 0x80) {
      if (byte === 0 && n > 0) throw fail(`the varint at byte ${at} is overlong`);
      if (value > Number.MAX_SAFE_INTEGER) throw fail(`the varint at byte ${at} exceeds Number.MAX_SAFE_INTEGER`);
      return value;
    }
  }
}
