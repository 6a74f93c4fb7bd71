import { fc, test } from '@fast-check/vitest';
import { FixedSizeBinary, makeData, makeVector } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { valuesOf, vectorOf } from './logicalVector.js';
import { uuidType } from './uuidType.js';

const ID = '0b0e8c3a-6f1d-4c2e-9a57-3f2b8d1e4c60';
const code = (code: string, message: string): Error =>
  expect.objectContaining({ code, key: 'arrow.uuid', message: expect.stringContaining(message) }) as Error;

describe('arrow.uuid', () => {
  it('is the Arrow canonical contract: FixedSizeBinary(16), metadata ""', () => {
    expect(uuidType()).toMatchObject({ name: 'arrow.uuid', encodingVersion: 1, metadata: '' });
    expect(uuidType().storageType).toEqual(new FixedSizeBinary(16));
  });

  it('stores the 16 bytes in RFC 9562 order', () => {
    expect([...uuidType().toStorage(ID)]).toEqual([
      0x0b, 0x0e, 0x8c, 0x3a, 0x6f, 0x1d, 0x4c, 0x2e, 0x9a, 0x57, 0x3f, 0x2b, 0x8d, 0x1e, 0x4c, 0x60,
    ]);
  });

  it('parses the usual spellings into the canonical form', () => {
    for (const literal of [
      ID,
      ID.toUpperCase(),
      `{${ID}}`,
      `urn:uuid:${ID}`,
      `URN:UUID:${ID.toUpperCase()}`,
      ID.replaceAll('-', ''),
      `  ${ID}\n`,
    ]) {
      expect(uuidType().parse(literal)).toBe(ID);
    }
    expect(uuidType().format(ID)).toBe(ID);
  });

  it('rejects bad values and literals with INVALID_ARGUMENT', () => {
    expect(() => uuidType().toStorage(ID.toUpperCase())).toThrow(
      code('INVALID_ARGUMENT', 'a UUID value must be lowercase (parse() accepts other spellings)'),
    );
    expect(() => uuidType().toStorage(ID.replaceAll('-', ''))).toThrow(
      code('INVALID_ARGUMENT', 'expected 8-4-4-4-12 lowercase hex digits'),
    );
    expect(() => uuidType().format(42 as never)).toThrow(
      code('INVALID_ARGUMENT', 'invalid arrow.uuid value 42: expected a UUID string'),
    );
    for (const literal of [
      '',
      'not-a-uuid',
      ID.slice(1),
      `${ID}0`,
      ID.replace('0', 'g'),
      `{${ID}`,
      '0b0e8c3a6f1d-4c2e-9a57-3f2b8d1e4c60',
    ]) {
      expect(() => uuidType().parse(literal)).toThrow(code('INVALID_ARGUMENT', 'cannot parse'));
    }
    expect(() => uuidType().parse('x'.repeat(65))).toThrow(code('INVALID_ARGUMENT', 'exceeds the limit of 64'));
  });

  it('refuses storage values that are not 16 bytes with CORRUPT_INPUT', () => {
    expect(() => uuidType().fromStorage(new Uint8Array(15))).toThrow(
      code('CORRUPT_INPUT', 'expected 16 bytes, got 15'),
    );
    expect(() => uuidType().fromStorage('abc')).toThrow(code('CORRUPT_INPUT', 'expected 16 bytes'));
  });

  it('reads a subarray view at an offset', () => {
    const buffer = new Uint8Array(20);
    buffer.set(uuidType().toStorage(ID), 3);
    expect(uuidType().fromStorage(buffer.subarray(3, 19))).toBe(ID);
  });
});

test.prop([fc.uuid({ version: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15] })], { numRuns: 200 })(
  'values round-trip storage and literals',
  (id) => {
    expect(uuidType().fromStorage(uuidType().toStorage(id))).toBe(id);
    expect(uuidType().parse(uuidType().format(id))).toBe(id);
    expect(uuidType().parse(id.toUpperCase())).toBe(id);
  },
);

test.prop([fc.uint8Array({ minLength: 16, maxLength: 16 })], { numRuns: 200 })(
  'any 16 bytes are a uuid that stores back to the same bytes',
  (bytes) => {
    const id = uuidType().fromStorage(bytes);
    expect(uuidType().isValid(id)).toBe(true);
    expect(uuidType().toStorage(id)).toEqual(bytes);
  },
);

test.prop([fc.array(fc.option(fc.uint8Array({ minLength: 16, maxLength: 16 }), { nil: null }), { maxLength: 40 })], {
  numRuns: 50,
})('a column of random bytes reads back as uuids and rebuilds to the same bytes', (rows) => {
  const bytes = new Uint8Array(16 * rows.length);
  const valid = new Uint8Array(Math.ceil(rows.length / 8));
  rows.forEach((row, i) => {
    if (row === null) return;
    bytes.set(row, 16 * i);
    valid[i >> 3]! |= 1 << (i & 7);
  });
  const nullCount = rows.filter((row) => row === null).length;
  const vector = makeVector(
    makeData({ type: new FixedSizeBinary(16), length: rows.length, nullCount, nullBitmap: valid, data: bytes }),
  );
  const ids = valuesOf(uuidType(), vector);
  expect(ids.map((id) => (id === null ? null : uuidType().toStorage(id)))).toEqual(rows.map((row) => row));
  expect(valuesOf(uuidType(), vectorOf(uuidType(), ids))).toEqual(ids);
});
