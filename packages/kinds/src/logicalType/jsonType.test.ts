import { fc, test } from '@fast-check/vitest';
import { Utf8, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import type { JsonValue } from './canonicalJson.js';
import { jsonType } from './jsonType.js';
import { valuesOf, vectorOf } from './logicalVector.js';

const code = (code: string, message: string): Error =>
  expect.objectContaining({ code, key: 'arrow.json', message: expect.stringContaining(message) }) as Error;
/** What a JSON value reads back as: canonical JSON writes -0 as 0. */
const normalised = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

describe('arrow.json', () => {
  it('is the Arrow canonical contract: Utf8, metadata ""', () => {
    expect(jsonType()).toMatchObject({ name: 'arrow.json', encodingVersion: 1, metadata: '' });
    expect(jsonType().storageType).toEqual(new Utf8());
  });

  it('stores canonical text, so equal documents are equal storage values', () => {
    expect(jsonType().toStorage({ b: 1, a: [true, null, 'x'] })).toBe('{"a":[true,null,"x"],"b":1}');
    expect(jsonType().toStorage({ a: [true, null, 'x'], b: 1 })).toBe(
      jsonType().toStorage({ b: 1, a: [true, null, 'x'] }),
    );
    expect(jsonType().format(jsonType().parse(' { "z" : 1 , "y" : [ 1.50 ] } '))).toBe('{"y":[1.5],"z":1}');
  });

  it('reads any JSON text another writer stored', () => {
    expect(jsonType().fromStorage('{ "b": 2, "a": 1 }')).toEqual({ b: 2, a: 1 });
    expect(valuesOf(jsonType(), vectorFromArray(['[1, 2]', null, '"s"', 'null'], new Utf8()))).toEqual([
      [1, 2],
      null,
      's',
      null,
    ]);
  });

  it('rejects values JSON.stringify would silently change', () => {
    expect(() => jsonType().toStorage({ a: undefined } as never)).toThrow(
      code('INVALID_ARGUMENT', 'undefined at $.a is not JSON'),
    );
    expect(() => jsonType().toStorage([Infinity])).toThrow(
      code('INVALID_ARGUMENT', 'Infinity at $[0] is not a JSON number'),
    );
    expect(() => jsonType().toStorage(new Map() as never)).toThrow(code('INVALID_ARGUMENT', 'a Map is not JSON'));
    expect(() => jsonType().format({ n: 1n } as never)).toThrow(
      code('INVALID_ARGUMENT', 'the bigint 1n at $.n is not JSON'),
    );
    expect(() => vectorOf(jsonType(), [1, { f: (() => 1) as never }])).toThrow(
      code('INVALID_ARGUMENT', 'row 1: invalid arrow.json value an object: function at $.f is not JSON'),
    );
  });

  it('rejects bad literals and bad storage with typed errors', () => {
    expect(() => jsonType().parse('{"a":')).toThrow(code('INVALID_ARGUMENT', 'cannot parse "{\\"a\\":" as arrow.json'));
    expect(() => jsonType().parse('')).toThrow(code('INVALID_ARGUMENT', 'cannot parse "" as arrow.json'));
    expect(() => jsonType().parse('[1] 2')).toThrow(code('INVALID_ARGUMENT', 'cannot parse'));
    expect(() => jsonType().fromStorage('{oops}')).toThrow(
      code('CORRUPT_INPUT', 'cannot read storage value "{oops}" as arrow.json'),
    );
    expect(() => jsonType().fromStorage(7)).toThrow(code('CORRUPT_INPUT', 'expected JSON text'));
    expect(() => jsonType().fromStorage('['.repeat(600) + ']'.repeat(600))).toThrow(
      code('CORRUPT_INPUT', 'nested deeper than 512 levels'),
    );
  });

  it('keeps __proto__ members as data', () => {
    const value = jsonType().parse('{"__proto__":{"polluted":true}}');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(jsonType().fromStorage(jsonType().toStorage(value))).toEqual(value);
  });
});

test.prop([fc.jsonValue()], { numRuns: 200 })('values round-trip storage and literals', (value) => {
  const json = value as JsonValue;
  expect(jsonType().fromStorage(jsonType().toStorage(json))).toEqual(normalised(json));
  expect(jsonType().parse(jsonType().format(json))).toEqual(normalised(json));
  expect(jsonType().parse(JSON.stringify(json, null, 2))).toEqual(normalised(json));
});

test.prop([fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 30 })], { numRuns: 50 })(
  'a column round-trips through vectorOf / valuesOf',
  (values) => {
    const vector = vectorOf(jsonType(), values as JsonValue[]);
    expect(valuesOf(jsonType(), vector)).toEqual(normalised(values));
  },
);
