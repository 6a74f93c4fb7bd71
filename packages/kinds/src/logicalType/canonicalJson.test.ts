import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { canonicalJson, jsonValueProblem } from './canonicalJson.js';
import type { JsonValue } from './canonicalJson.js';

describe('canonicalJson', () => {
  it('sorts keys by UTF-16 code units and writes no whitespace (RFC 8785)', () => {
    expect(canonicalJson({ b: [1, { d: true, c: null }], a: 'x', '\u00e9': 1, Z: -0, '10': 2.5e-7 })).toBe(
      '{"10":2.5e-7,"Z":0,"a":"x","b":[1,{"c":null,"d":true}],"é":1}',
    );
    expect(canonicalJson('\ud800')).toBe('"\\ud800"');
  });

  it('writes an own __proto__ key as data, without touching prototypes', () => {
    const value = JSON.parse('{"__proto__":{"polluted":true},"a":1}') as JsonValue;
    expect(canonicalJson(value)).toBe('{"__proto__":{"polluted":true},"a":1}');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('jsonValueProblem', () => {
  it('names what is not JSON and where', () => {
    expect(jsonValueProblem({ a: [1, undefined] })).toBe('undefined at $.a[1] is not JSON');
    expect(jsonValueProblem({ 'odd key': NaN })).toBe('NaN at $["odd key"] is not a JSON number');
    expect(jsonValueProblem(10n)).toBe('the bigint 10n is not JSON (store it as a string or a number)');
    expect(jsonValueProblem([new Date(0)])).toBe('a Date at $[0] is not JSON (only plain objects and arrays are)');
    const sparse: unknown[] = new Array(3);
    sparse[0] = 1;
    sparse[2] = 3;
    expect(jsonValueProblem(sparse)).toBe('a hole in a sparse array at $[1] is not JSON');
    expect(jsonValueProblem({ [Symbol('s')]: 1 })).toBe('an object with symbol keys is not JSON');
    expect(
      jsonValueProblem({
        get boom(): never {
          throw new Error('no');
        },
      }),
    ).toBe('reading the value at $.boom threw: no');
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(jsonValueProblem(cyclic)).toBe('a cycle at $.self cannot be stored as JSON');
  });

  it('accepts shared (non-cyclic) references and null-prototype objects', () => {
    const shared = { x: 1 };
    expect(jsonValueProblem([shared, shared, Object.assign(Object.create(null) as object, { y: 2 })])).toBeUndefined();
  });

  it('bounds the depth without a stack overflow', () => {
    let deep: unknown = 0;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(jsonValueProblem(deep)).toMatch(/^the value is nested deeper than 512 levels/);
    let ok: unknown = 0;
    for (let i = 0; i < 512; i++) ok = { k: ok };
    expect(jsonValueProblem(ok)).toBeUndefined();
  });
});

test.prop([fc.jsonValue()], { numRuns: 200 })(
  'canonical text parses back to the value, and is a fixed point',
  (value) => {
    expect(jsonValueProblem(value)).toBeUndefined();
    const text = canonicalJson(value as JsonValue);
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
    expect(canonicalJson(JSON.parse(text) as JsonValue)).toBe(text);
  },
);

test.prop([fc.dictionary(fc.string(), fc.integer())], { numRuns: 100 })(
  'key order does not change the canonical text',
  (object) => {
    const reversed = Object.fromEntries(Object.entries(object).reverse());
    expect(canonicalJson(reversed)).toBe(canonicalJson(object));
  },
);
