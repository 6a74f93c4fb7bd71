import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { crdtLimits } from './primitive.js';
import { encodeStrings } from './stringColumn.js';
import { readStringColumn } from './stringColumnReader.js';
import { encodeVarints } from './varint.js';

const fail = (message: string): Error => new RangeError(message);
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const read = (strings: string, lengths: number[], maxCount = 100) =>
  readStringColumn(utf8(strings), encodeVarints(lengths), maxCount, fail);

/** Strings that stress UTF-8 versus UTF-16 order: U+E000 and above sorts after a surrogate pair in UTF-16. */
const tricky = fc.constantFrom(
  '',
  'a',
  '\ufeff',
  '\ufeffa',
  'é',
  '\u07ff',
  '\ud7ff',
  '\ue000',
  '\uffef',
  '\ufffd',
  '😀',
  '😀a',
  '\u{10ffff}',
);
const stringArb = fc.oneof(tricky, fc.string({ unit: 'binary', maxLength: 4 }), fc.string({ maxLength: 6 }));

describe('string columns', () => {
  test.prop([fc.array(stringArb, { maxLength: 30 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 })])(
    'round-trip sorted distinct strings in UTF-16 order, in chunks of any size',
    (raw, joinUnits, decodeBytes) => {
      const strings = [...new Set(raw)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const column = encodeStrings(strings, joinUnits);
      expect(column.bytes).toEqual(utf8(strings.join('')));
      expect(column.lengths).toEqual(encodeVarints(strings.map((s) => utf8(s).length)));
      const read = readStringColumn(column.bytes, column.lengths, strings.length, fail, decodeBytes);
      expect(read.strings).toEqual(strings);
      expect(read.column).toEqual(column);
      if (strings.length > 1) {
        // Any other order is refused.
        const reversed = [...strings].reverse();
        const other = encodeStrings(reversed);
        expect(() => readStringColumn(other.bytes, other.lengths, strings.length, fail)).toThrow('not greater');
      }
    },
  );

  it('orders by UTF-16 code units where UTF-8 bytes disagree', () => {
    expect(read('😀\ufffd', [4, 3]).strings).toEqual(['😀', '\ufffd']);
    expect(() => read('\ufffd😀', [3, 4])).toThrow('strings[1] is not greater');
    expect(read('\ud7ff😀', [3, 4]).strings).toEqual(['\ud7ff', '😀']);
  });

  it('refuses lengths that do not split the bytes into valid strings', () => {
    expect(() => read('ab', [1])).toThrow('add up to 1 bytes, not the 2');
    expect(() => read('ab', [1, 2])).toThrow('more than the 2 bytes');
    expect(() => read('é', [1, 1])).toThrow('strings[1] starts inside a UTF-8 character');
    expect(() => readStringColumn(new Uint8Array([0x61, 0xff]), encodeVarints([1, 1]), 9, fail)).toThrow(
      'not valid UTF-8',
    );
    expect(() => readStringColumn(utf8('ab'), new Uint8Array([0x81, 0x00]), 9, fail)).toThrow('overlong');
    expect(() => readStringColumn(utf8('ab'), new Uint8Array([0x81]), 9, fail)).toThrow('truncated');
    expect(() => read('ab', [1, 1], 1)).toThrow('more strings than 1');
    expect(() => read('aa', [1, 1])).toThrow('strings[1] is not greater');
    expect(() => read('a', [0, 0, 1])).toThrow('strings[1] is not greater');
  });

  it('refuses strings beyond the length limit', () => {
    const long = 'x'.repeat(crdtLimits.maxStringLength + 1);
    expect(() => read(long, [long.length])).toThrow('more than the limit');
    expect(() => readStringColumn(new Uint8Array(4), encodeVarints([4 * crdtLimits.maxStringLength]), 9, fail)).toThrow(
      'more than a string of the longest length can',
    );
  });
});
