import { Buffer } from 'node:buffer';
import { checkColumnSize } from './byteColumn.js';
import type { ByteColumn } from './byteColumn.js';
import { varintSize, writeVarint } from './varint.js';

/**
 * Strings as a {@link ByteColumn} of their UTF-8 (string `k` is `bytes[offsets[k], offsets[k + 1])`),
 * plus the byte length of each as concatenated varints (what a persisted form stores). Immutable.
 */
export interface StringColumn extends ByteColumn {
  readonly lengths: Uint8Array;
}

/** The column of no strings. */
export const NO_STRINGS: StringColumn = Object.freeze({
  bytes: new Uint8Array(0),
  offsets: new Uint32Array(1),
  lengths: new Uint8Array(0),
});

/** How many UTF-16 code units are joined into one string at a time (V8 strings stop near 2^29). */
const JOIN_UNITS = 1 << 24;

const encoder = new TextEncoder();

/**
 * The column of `strings` (well-formed UTF-16, so their UTF-8 is exact), in order; they are joined
 * and encoded `joinUnits` UTF-16 code units at a time (tests pass a small number).
 */
export function encodeStrings(strings: readonly string[], joinUnits = JOIN_UNITS): StringColumn {
  if (strings.length === 0) return NO_STRINGS;
  const offsets = new Uint32Array(strings.length + 1);
  const texts: string[] = [];
  let total = 0;
  for (let a = 0; a < strings.length;) {
    let units = strings[a]!.length;
    let b = a + 1;
    while (b < strings.length && units + strings[b]!.length <= joinUnits) units += strings[b++]!.length;
    const text = a === 0 && b === strings.length ? strings.join('') : strings.slice(a, b).join('');
    const size = Buffer.byteLength(text, 'utf8');
    checkColumnSize(total + size);
    // ASCII when one byte per code unit; else each string is measured.
    for (let k = a; k < b; k++) {
      total += size === text.length ? strings[k]!.length : Buffer.byteLength(strings[k]!, 'utf8');
      offsets[k + 1] = total;
    }
    texts.push(text);
    a = b;
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const text of texts) at += encoder.encodeInto(text, bytes.subarray(at)).written;
  return withLengths({ bytes, offsets });
}

/** The UTF-8 of one (well-formed) string. */
export function utf8Of(text: string): Uint8Array {
  return encoder.encode(text);
}

/** `column` as a string column: `previous` itself when `column` is its column unchanged. */
export function withLengths(column: ByteColumn, previous?: StringColumn): StringColumn {
  if (column === previous) return previous;
  const { offsets } = column;
  const count = offsets.length - 1;
  let size = 0;
  for (let k = 0; k < count; k++) size += varintSize(offsets[k + 1]! - offsets[k]!);
  const lengths = new Uint8Array(size);
  let at = 0;
  for (let k = 0; k < count; k++) at = writeVarint(lengths, at, offsets[k + 1]! - offsets[k]!);
  return { bytes: column.bytes, offsets, lengths };
}
