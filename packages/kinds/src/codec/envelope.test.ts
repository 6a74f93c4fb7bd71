import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { gCounter } from '../crdt/gCounter.js';
import { bodySchema } from './bodySchema.js';
import { decodeEnvelope, encodeEnvelope } from './envelope.js';
import { craftedEnvelope } from './__tests__/craftedEnvelope.js';

const expect1 = { kind: 'g-counter', versions: [1] };

describe('envelope', () => {
  it('round-trips Maps, bigints and bytes', () => {
    const body = new Map<unknown, unknown>([
      ['r1', 2n ** 70n],
      ['bytes', new Uint8Array([1, 2, 3])],
      ['nested', new Map([[1, [true, null]]])],
    ]);
    const decoded = decodeEnvelope(encodeEnvelope('g-counter', 1, body), expect1);
    expect(decoded).toEqual({ kind: 'g-counter', formatVersion: 1, body });
    expect((decoded.body as Map<string, unknown>).get('bytes')).toBeInstanceOf(Uint8Array);
  });

  it('names what is wrong: another kind, an unknown version, truncation, corruption, size', () => {
    const bytes = encodeEnvelope('pn-counter', 2, [1, 2]);
    expect(() => decodeEnvelope(bytes, expect1)).toThrow(
      "cannot read 'g-counter' state: these bytes hold 'pn-counter' state",
    );
    expect(() => decodeEnvelope(encodeEnvelope('g-counter', 9, 0), expect1)).toThrow(
      'unknown format version 9 (this reader knows 1)',
    );
    expect(() => decodeEnvelope(bytes.subarray(0, bytes.length - 1), { kind: 'pn-counter', versions: [2] })).toThrow(
      'truncated',
    );
    const flipped = bytes.slice();
    flipped[flipped.length - 1]! ^= 1;
    expect(() => decodeEnvelope(flipped, { kind: 'pn-counter', versions: [2] })).toThrow('checksum mismatch');
    expect(() => decodeEnvelope(bytes, { kind: 'pn-counter', versions: [2], maxBytes: 2 })).toThrow(
      'exceeds the limit',
    );
    expect(() => decodeEnvelope(new Uint8Array(3), expect1)).toThrow('shorter than the envelope header');
  });

  it('refuses a map with a key twice ({r1: 5, r1: 7}), which msgpackr alone would read as {r1: 7}', () => {
    const duplicate = craftedEnvelope('g-counter', 1, [0x82, 0xa2, 0x72, 0x31, 5, 0xa2, 0x72, 0x31, 7]);
    expect(() => decodeEnvelope(duplicate, expect1)).toThrow('a map of the body has a key twice');
    expect(() => gCounter().fromPersisted(duplicate)).toThrow(
      expect.objectContaining({
        code: 'CORRUPT_INPUT',
        message: expect.stringContaining('key twice') as string,
      }) as Error,
    );
    const nested = craftedEnvelope('g-counter', 1, [0x91, 0x82, 1, 2, 1, 3]); // [{1: 2, 1: 3}]
    expect(() => decodeEnvelope(nested, expect1)).toThrow('key twice');
  });

  it('checks the body against the schema of its version before decoding it', () => {
    const bodies = { 1: bodySchema.list(bodySchema.str(1, 8), 10) };
    expect(decodeEnvelope(encodeEnvelope('g-counter', 1, ['a', 'b']), { ...expect1, bodies }).body).toEqual(['a', 'b']);
    expect(() => decodeEnvelope(encodeEnvelope('g-counter', 1, ['a', 1000]), { ...expect1, bodies })).toThrow(
      "cannot read 'g-counter' state: body[1]: an integer where a string was expected",
    );
    expect(() => decodeEnvelope(encodeEnvelope('g-counter', 1, ['abc', '']), { ...expect1, bodies })).toThrow(
      'body[1]: a string of 0 bytes (1..8 expected)',
    );
  });

  it('copies the payload: byte strings of the body are not views of the input', () => {
    const bytes = encodeEnvelope('g-counter', 1, [new Uint8Array([1, 2, 3])]);
    const { body } = decodeEnvelope(bytes, expect1);
    bytes.fill(0);
    expect(body).toEqual([new Uint8Array([1, 2, 3])]);
    expect((body as Uint8Array[])[0]!.buffer).not.toBe(bytes.buffer);
  });

  it('refuses msgpackr records (plain objects): a decoded document cannot pollute prototypes', () => {
    const evil = encodeEnvelope(
      'g-counter',
      1,
      JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"x": 1}}}'),
    );
    expect(() => decodeEnvelope(evil, expect1)).toThrow('an extension of type 0x72');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    const keys = new Map([['__proto__', new Map([['polluted', true]])]]);
    const { body } = decodeEnvelope(encodeEnvelope('g-counter', 1, keys), expect1);
    expect(body).toEqual(keys);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

test.prop([fc.uint8Array({ maxLength: 200 })])('random bytes give a typed error, never a crash', (bytes) => {
  try {
    decodeEnvelope(bytes, expect1);
  } catch (error) {
    expect(error).toMatchObject({ code: 'CORRUPT_INPUT', phase: 'decode' });
  }
});

test.prop([fc.jsonValue(), fc.nat(), fc.integer({ min: 1, max: 255 })])(
  'any corrupted byte is detected',
  (body, at, xor) => {
    const bytes = encodeEnvelope('g-counter', 1, body);
    const bad = bytes.slice();
    bad[at % bad.length]! ^= xor;
    expect(() => decodeEnvelope(bad, expect1)).toThrow(expect.objectContaining({ code: 'CORRUPT_INPUT' }) as Error);
  },
);
