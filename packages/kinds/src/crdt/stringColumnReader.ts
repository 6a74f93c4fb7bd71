import { crdtLimits } from './primitive.js';
import { NO_STRINGS } from './stringColumn.js';
import type { StringColumn } from './stringColumn.js';
import { readVarint, varintSize } from './varint.js';

/** How many bytes are decoded into one string at a time (V8 strings stop near 2^29 code units). */
const DECODE_BYTES = 1 << 24;

/** UTF-8 bytes of a string of the longest allowed length, at most (3 bytes per UTF-16 code unit). */
const MAX_STRING_BYTES = 3 * crdtLimits.maxStringLength;

/**
 * Reads a persisted string column, strictly: `lengths` (varints) must split all of `utf8` into at
 * most `maxCount` valid UTF-8 strings of at most `crdtLimits.maxStringLength` code units, in
 * strictly increasing UTF-16 order (no duplicates). Anything else throws the error `fail(message)`
 * returns. Returns the strings (decoded `decodeBytes` bytes at a time; tests pass a small number)
 * and the column, over `utf8` and `lengths` themselves (the caller's own bytes, not copied).
 */
export function readStringColumn(
  utf8: Uint8Array,
  lengths: Uint8Array,
  maxCount: number,
  fail: (message: string) => Error,
  decodeBytes = DECODE_BYTES,
): { strings: string[]; column: StringColumn } {
  if (lengths.length === 0 && utf8.length === 0) return { strings: [], column: NO_STRINGS };
  // A length takes a byte, and only the first string can be empty: this bounds the allocation.
  const bound = new Uint32Array(Math.min(lengths.length, utf8.length + 1, maxCount) + 1);
  const lengthFail = (message: string): Error => fail(`stringLengths: ${message}`);
  let view: DataView | undefined;
  // Pairs whose order bytes cannot tell, compared as strings once decoded.
  const undecided: number[] = [];
  let count = 0;
  let end = 0;
  for (let p = 0; p < lengths.length;) {
    const length = readVarint(lengths, p, lengthFail);
    p += varintSize(length);
    if (count + 1 === bound.length)
      throw fail(`stringLengths: more strings than ${bound.length - 1} (the most the body's sizes allow)`);
    if (length > MAX_STRING_BYTES)
      throw fail(`strings[${count}] takes ${length} bytes, more than a string of the longest length can`);
    if (length > utf8.length - end)
      throw fail(`the string lengths add up to more than the ${utf8.length} bytes of strings`);
    // The whole is checked to be valid UTF-8 below, so each string is when each starts on a character.
    if (length > 0 && (utf8[end]! & 0xc0) === 0x80) throw fail(`strings[${count}] starts inside a UTF-8 character`);
    const start = end;
    end += length;
    bound[++count] = end;
    if (count === 1) continue;
    view ??= new DataView(utf8.buffer, utf8.byteOffset, utf8.byteLength);
    const order = compareUtf8(utf8, view, bound[count - 2]!, start, end);
    if (order > 0) throw fail(`strings[${count - 1}] is not greater than the string before it`);
    if (order === 0) undecided.push(count - 1);
  }
  if (end !== utf8.length)
    throw fail(`the string lengths add up to ${end} bytes, not the ${utf8.length} bytes of strings`);
  const offsets = count + 1 === bound.length ? bound : bound.slice(0, count + 1);
  const strings = decodeStrings(utf8, offsets, decodeBytes, fail);
  for (const k of undecided)
    if (!(strings[k - 1]! < strings[k]!)) throw fail(`strings[${k}] is not greater than the string before it`);
  return { strings, column: { bytes: utf8, offsets, lengths } };
}

/** Strict UTF-8 (a byte order mark is kept as a character, like any other). */
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decodeUtf8(bytes: Uint8Array, fail: (message: string) => Error): string {
  try {
    return utf8Decoder.decode(bytes);
  } catch (error) {
    throw fail(`the strings are not valid UTF-8 (${String(error)})`);
  }
}

/** Decodes each string of well-split UTF-8, a chunk of strings at a time (refusing invalid UTF-8). */
function decodeStrings(
  utf8: Uint8Array,
  offsets: Uint32Array,
  decodeBytes: number,
  fail: (message: string) => Error,
): string[] {
  const count = offsets.length - 1;
  const strings = new Array<string>(count);
  for (let a = 0; a < count;) {
    let b = a + 1;
    while (b < count && offsets[b + 1]! - offsets[a]! <= decodeBytes) b++;
    const start = offsets[a]!;
    const text = decodeUtf8(utf8.subarray(start, offsets[b]), fail);
    if (text.length === offsets[b]! - start) {
      // ASCII: one code unit per byte.
      for (let k = a; k < b; k++) strings[k] = text.substring(offsets[k]! - start, offsets[k + 1]! - start);
    } else {
      // One code unit per character, two for a 4-byte one (a surrogate pair).
      let unit = 0;
      for (let k = a; k < b; k++) {
        let units = 0;
        for (let p = offsets[k]!; p < offsets[k + 1]!; p++) {
          const byte = utf8[p]!;
          if ((byte & 0xc0) !== 0x80) units += byte >= 0xf0 ? 2 : 1;
        }
        strings[k] = text.substring(unit, unit + units);
        unit += units;
      }
    }
    a = b;
  }
  for (let k = 0; k < count; k++)
    if (strings[k]!.length > crdtLimits.maxStringLength)
      throw fail(
        `strings[${k}] has ${strings[k]!.length} code units, more than the limit of ${crdtLimits.maxStringLength}`,
      );
  return strings;
}

/**
 * The order of the UTF-8 strings `utf8[p, q)` and `utf8[q, end)` as their UTF-16 order: -1 when
 * the first is smaller, 1 when it is not (greater or equal), 0 when bytes cannot tell. UTF-8 byte
 * order is code point order, which is UTF-16 order unless a differing character is at least U+E000
 * (lead byte 0xEE or more): then the caller compares the strings themselves.
 */
function compareUtf8(utf8: Uint8Array, view: DataView, p: number, q: number, end: number): number {
  const n = Math.min(q - p, end - q);
  let i = 0;
  while (i + 4 <= n && view.getUint32(p + i) === view.getUint32(q + i)) i += 4;
  for (; i < n; i++) {
    const x = utf8[p + i]!;
    const y = utf8[q + i]!;
    if (x !== y) return x >= 0xee || y >= 0xee ? 0 : x < y ? -1 : 1;
  }
  return q - p < end - q ? -1 : 1;
}
