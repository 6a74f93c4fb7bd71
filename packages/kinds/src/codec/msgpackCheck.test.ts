import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { ANY_MAX_DEPTH, bigintExtensionBytes, bodySchema as s } from './bodySchema.js';
import type { BodySchema } from './bodySchemaTypes.js';
import { checkMsgpack } from './msgpackCheck.js';
import { countMapEntries, pack, packr } from './packr.js';

class CheckFailed extends Error {}
const fail = (message: string): Error => new CheckFailed(message);
const check = (schema: BodySchema, bytes: Uint8Array) => checkMsgpack(bytes, 0, bytes.length, schema, fail);
const passes = (schema: BodySchema, value: unknown) => check(schema, pack(value));
const refuses = (schema: BodySchema, bytes: unknown, message: string | RegExp) => {
  expect(() => check(schema, bytes instanceof Uint8Array ? bytes : pack(bytes))).toThrow(message);
};

const primitive = s.oneOf(
  'a primitive',
  s.str(0, 64),
  s.number(),
  s.bigint(bigintExtensionBytes(1024)),
  s.bool(),
  s.bin(64),
);
const table = s.tuple(s.list(s.str(1, 8), 100), s.list(s.number(), 100), s.map(s.str(1, 8), primitive, 100));

describe('checkMsgpack', () => {
  it('accepts what the schema describes, as msgpackr encodes it', () => {
    passes(table, [
      ['a', 'bc'],
      [1, -2, 3.5, 2 ** 40],
      new Map<string, unknown>([
        ['k', 2n ** 70n],
        ['l', new Uint8Array(3)],
        ['m', true],
      ]),
    ]);
    passes(s.tupleOrEmpty(s.number(), s.str(1, 4)), []);
    passes(s.tupleOrEmpty(s.number(), s.str(1, 4)), [1, 'x']);
    passes(s.any(), [new Map([[1, [null, 'x', 2n ** 64n]]]), 1.5]);
  });

  it('refuses other types, lengths, tuple sizes, bytes left over, with the path', () => {
    refuses(table, [['a'], [1], new Map([['k', null]])], 'body[2] (value 0): nil where a primitive was expected');
    refuses(table, [[''], [], new Map()], 'body[0][0]: a string of 0 bytes (1..8 expected)');
    refuses(table, [['a'], ['x'], new Map()], 'body[1][0]: a string where a number was expected');
    refuses(table, [['a'], []], 'an array of 2 items where 3 were expected');
    refuses(s.tupleOrEmpty(s.number()), [1, 2], 'an array of 2 items where 1 or 0 were expected');
    refuses(s.number(), Uint8Array.of(1, 2), '1 bytes follow the body');
    refuses(s.bin(2), pack(new Uint8Array(3)), 'a byte string of 3 bytes (at most 2 expected)');
    refuses(s.number(), 2n ** 63n, 'a 64-bit integer where a number was expected');
  });

  it('refuses declared counts the bytes left cannot hold, before reading items', () => {
    // array32 of 2^32 − 1 items, 3 bytes present
    refuses(
      s.list(s.number(), 2 ** 32),
      Uint8Array.of(0xdd, 0xff, 0xff, 0xff, 0xff, 1, 2, 3),
      '4294967295 items of at least 1 bytes each declared, 3 bytes are left',
    );
    refuses(
      s.list(s.str(2, 8), 100),
      Uint8Array.of(0x93, 0xa2, 0x61, 0x62),
      '3 items of at least 3 bytes each declared, 3 bytes are left',
    );
    refuses(s.map(s.str(1, 8), s.number(), 100), Uint8Array.of(0xdf, 0, 1, 0, 0, 0xa1, 0x61, 1), '65536 entries');
    refuses(s.list(s.number(), 2), [1, 2, 3], '3 items (at most 2 expected)');
    refuses(s.str(0, 100), Uint8Array.of(0xdb, 0x7f, 0xff, 0xff, 0xff, 0x61), 'declares 2147483647 bytes, 1 are left');
  });

  it('refuses nesting the schema does not have, and any value deeper than ANY_MAX_DEPTH', () => {
    refuses(s.list(s.number(), 10), [[1]], 'body[0]: an array where a number was expected');
    const deep = new Uint8Array(ANY_MAX_DEPTH + 2).fill(0x91);
    deep[deep.length - 1] = 0xc0;
    refuses(s.any(), deep, `values nested deeper than ${ANY_MAX_DEPTH} levels`);
    const fine = deep.subarray(deep.length - ANY_MAX_DEPTH - 1);
    expect(check(s.any(), fine)).toEqual({ mapEntries: 0 });
  });

  it('allows only the bigint extension, of bounded size', () => {
    refuses(s.any(), pack({ a: 1 }), 'an extension of type 0x72');
    refuses(s.any(), Uint8Array.of(0xd4, 0x00, 0x00), 'an extension of type 0x0');
    refuses(s.bigint(8), 2n ** 70n, 'a bigint extension of 16 bytes (1..8 expected)');
    refuses(s.bigint(8), Uint8Array.of(0xc7, 0x00, 0x42), 'a bigint extension of 0 bytes');
    passes(s.bigint(bigintExtensionBytes(1024)), 2n ** 1024n - 1n);
    passes(s.bigint(bigintExtensionBytes(1024)), -(2n ** 1024n));
  });

  it('checks the order of byte strings where the schema asks for it', () => {
    const sorted = s.list(s.bin(8), 100, { increasingBins: true });
    passes(sorted, [Uint8Array.of(0), Uint8Array.of(0, 0), Uint8Array.of(1)]);
    refuses(
      sorted,
      [Uint8Array.of(1), Uint8Array.of(1)],
      'body[1]: a byte string not greater than the byte string before it',
    );
    refuses(sorted, [new Uint8Array(0), new Uint8Array(0)], 'not greater');
  });

  it('counts declared map entries, so duplicate keys show in the decoded size', () => {
    const dup = Uint8Array.of(0x82, 0xa2, 0x72, 0x31, 5, 0xa2, 0x72, 0x31, 7); // {r1: 5, r1: 7}
    const { mapEntries } = check(s.map(s.str(1, 8), s.number(), 10), dup);
    expect(mapEntries).toBe(2);
    expect(countMapEntries(packr.unpack(dup))).toBe(1);
  });

  it('charges any-values for their decoded size: a list of empty maps is refused, of numbers accepted', () => {
    const count = 100_000;
    const maps = new Uint8Array(5 + count).fill(0x80);
    maps.set([0xdd, 0, 1, 0x86, 0xa0]);
    refuses(s.any(), maps, 'more than 16 bytes of memory per input byte');
    expect(check(s.any(), maps.fill(0x01, 5))).toEqual({ mapEntries: 0 });
  });
});

test.prop([
  fc
    .anything({ withMap: true, withBigInt: true, withTypedArray: false, withObjectString: false, maxDepth: 4 })
    .filter((v) => !containsPlainObject(v)),
])('any value msgpackr encodes without records passes bodySchema.any()', (value) => {
  check(s.any(), pack(value));
});

test.prop([fc.uint8Array({ maxLength: 64 }), fc.constantFrom(table, s.any(), primitive)])(
  'random bytes pass or fail through `fail`, never another error',
  (bytes, schema) => {
    try {
      check(schema, bytes);
    } catch (error) {
      expect(error).toBeInstanceOf(CheckFailed);
    }
  },
);

function containsPlainObject(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(containsPlainObject);
  if (value instanceof Map) return [...value].some(([k, v]) => containsPlainObject(k) || containsPlainObject(v));
  if (value instanceof Uint8Array || value === null) return false;
  return (
    typeof value === 'object' ||
    typeof value === 'undefined' ||
    typeof value === 'symbol' ||
    typeof value === 'function'
  );
}
