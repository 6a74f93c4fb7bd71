/**
 * A map with a key twice is refused however each copy of the key is encoded: msgpack has four
 * string encodings (fixstr, str 8, str 16, str 32) and several for one number, and msgpackr decodes
 * every spelling of a key to the same Map key, so a count of the decoded entries must catch them all.
 */
import { describe, expect, it } from 'vitest';
import { gCounter } from '../crdt/gCounter.js';
import { decodeEnvelope } from './envelope.js';
import { unpack } from './packr.js';
import { craftedEnvelope } from './__tests__/craftedEnvelope.js';

const utf8 = (text: string): number[] => [...Buffer.from(text, 'utf8')];

/** The msgpack string encodings of a key (any may spell a short string). */
const strings: Record<string, (text: string) => number[]> = {
  fixstr: (t) => [0xa0 | utf8(t).length, ...utf8(t)],
  str8: (t) => [0xd9, utf8(t).length, ...utf8(t)],
  str16: (t) => [0xda, 0, utf8(t).length, ...utf8(t)],
  str32: (t) => [0xdb, 0, 0, 0, utf8(t).length, ...utf8(t)],
};

/** Spellings of the number 1. */
const ones: Record<string, number[]> = {
  fixint: [0x01],
  uint8: [0xcc, 1],
  uint16: [0xcd, 0, 1],
  uint32: [0xce, 0, 0, 0, 1],
  int8: [0xd0, 1],
  int16: [0xd1, 0, 1],
  int32: [0xd2, 0, 0, 0, 1],
  float64: [0xcb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0],
};

/** A map of the given keys, each to the count 1 (a g-counter v1 body when the keys are replica ids). */
const mapOf = (...keys: number[][]): number[] => [0x80 | keys.length, ...keys.flatMap((key) => [...key, 1])];

/** Every ordered pair of encodings: `[name, encoding, name, encoding]`. */
const pairs = <T>(record: Record<string, T>): [string, T, string, T][] =>
  Object.entries(record).flatMap(([a, x]) =>
    Object.entries(record).map(([b, y]): [string, T, string, T] => [a, x, b, y]),
  );

describe('duplicate map keys', () => {
  for (const [a, first, b, second] of pairs(strings))
    it(`a replica id as ${a} and again as ${b}`, () => {
      for (const id of ['r1', 'x'.repeat(31), '__proto__', 'é']) {
        const body = mapOf(first(id), [0xa1, 0x62], second(id)); // {id: 1, "b": 1, id: 1}
        const bytes = craftedEnvelope('g-counter', 1, body);
        expect(() => gCounter().fromPersisted(bytes)).toThrow(
          expect.objectContaining({
            code: 'CORRUPT_INPUT',
            message: expect.stringContaining('key twice') as string,
          }) as Error,
        );
        expect(() => decodeEnvelope(bytes, { kind: 'g-counter', versions: [1] })).toThrow('key twice');
        expect(() => unpack(Uint8Array.from([0x91, ...body]))).toThrow('a map has a key twice');
      }
    });

  for (const [a, first, b, second] of pairs(ones))
    it(`the number 1 as ${a} and again as ${b}`, () => {
      expect(() => unpack(Uint8Array.from(mapOf(first, second)))).toThrow('a map has a key twice');
      expect(() => unpack(Uint8Array.from([0x91, 0x81, 0, ...mapOf(first, second)]))).toThrow('key twice'); // nested
    });

  it('reads distinct keys whatever their encodings (the control)', () => {
    const body = mapOf(strings['fixstr']!('a'), strings['str8']!('b'), strings['str16']!('c'), strings['str32']!('d'));
    expect(
      gCounter()
        .fromPersisted(craftedEnvelope('g-counter', 1, body))
        .counts(),
    ).toEqual(
      new Map([
        ['a', 1],
        ['b', 1],
        ['c', 1],
        ['d', 1],
      ]),
    );
    expect(unpack(Uint8Array.from(mapOf(ones['uint8']!, [0x02], [0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0])))).toEqual(
      new Map([
        [1, 1],
        [2, 1],
        [1.5, 1],
      ]),
    );
  });
});
