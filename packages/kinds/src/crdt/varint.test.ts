import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { encodeVarints, VarintReader } from './varint.js';

const fail = (message: string) => new Error(message);

/** Exactly `count` varints filling all of `bytes`. */
function decodeVarints(bytes: Uint8Array, count: number): number[] {
  const reader = new VarintReader(bytes, fail);
  const values = Array.from({ length: count }, () => reader.next());
  reader.expectEnd();
  return values;
}

describe('varints', () => {
  test.prop([fc.array(fc.oneof(fc.nat(300), fc.maxSafeNat()), { maxLength: 50 })])(
    'round-trip safe integers',
    (values) => {
      const bytes = encodeVarints(values);
      expect(decodeVarints(bytes, values.length)).toEqual(values);
      expect(bytes.length).toBeLessThanOrEqual(values.length * 8);
    },
  );

  it('uses one byte below 128 and eight for 2^53 − 1', () => {
    expect(encodeVarints([0, 127, 128, 300])).toEqual(new Uint8Array([0, 127, 0x80, 0x01, 0xac, 0x02]));
    expect(encodeVarints([Number.MAX_SAFE_INTEGER]).length).toBe(8);
  });

  it('refuses truncated, overlong, oversized and trailing input', () => {
    expect(() => decodeVarints(new Uint8Array([0x80]), 1)).toThrow('truncated');
    expect(() => decodeVarints(new Uint8Array([0x80, 0x00]), 1)).toThrow('overlong');
    expect(() => decodeVarints(new Uint8Array(9).fill(0xff), 1)).toThrow('longer than 8 bytes');
    expect(() => decodeVarints(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]), 1)).toThrow(
      'MAX_SAFE_INTEGER',
    );
    expect(() => decodeVarints(new Uint8Array([1, 2]), 1)).toThrow('1 bytes follow');
  });

  test.prop([fc.uint8Array({ maxLength: 40 })])(
    'reading random bytes either succeeds or throws the given error',
    (bytes) => {
      const reader = new VarintReader(bytes, (m) => new RangeError(m));
      try {
        while (!reader.done) expect(reader.next()).toBeLessThanOrEqual(Number.MAX_SAFE_INTEGER);
      } catch (error) {
        expect(error).toBeInstanceOf(RangeError);
      }
    },
  );
});
