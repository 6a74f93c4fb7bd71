import { Compat } from '@baton/core';
import { checkLogicalTypeCompat } from '@baton/core/kit';
import type { CompatContext } from '@baton/core';
import { Float64, Int32, Utf8, vectorFromArray } from 'apache-arrow';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { defineLogicalType } from './defineLogicalType.js';
import type { AnyLogicalType, LogicalTypeSpec, LogicalValueOf } from './defineLogicalType.js';
import { valuesOf, vectorOf } from './logicalVector.js';

/** A small test type: whole percentages 0..100 stored as Int32, literals like "42%". */
const percentSpec: LogicalTypeSpec<number, Int32, number> = {
  name: 'test.percent',
  storageType: new Int32(),
  encodingVersion: 1,
  parameters: { unit: '%' },
  description: 'a whole percentage 0..100',
  check: (value) =>
    Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 100
      ? undefined
      : 'expected an integer in [0, 100]',
  toStorage: (value) => value,
  fromStorage: (storage) => {
    if (typeof storage !== 'number') throw new Error('expected a number');
    return storage;
  },
  parse: (literal) => {
    const match = /^(\d+)%$/.exec(literal.trim());
    if (!match) throw new Error("expected digits followed by '%'");
    return Number(match[1]);
  },
  format: (value) => `${value}%`,
  maxLiteralLength: 10,
};
const percent = defineLogicalType(percentSpec);

const context: CompatContext = {
  kind: 'logicalType',
  key: 'test.percent',
  signal: new AbortController().signal,
  timeoutMs: 1000,
  samples: [],
  liveResources: [],
  maxStates: 4,
};
const text = (message: string | RegExp): unknown =>
  typeof message === 'string' ? expect.stringContaining(message) : expect.stringMatching(message);
const invalid = (message: string | RegExp): Error =>
  expect.objectContaining({
    code: 'INVALID_ARGUMENT',
    phase: 'call',
    kind: 'logicalType',
    message: text(message),
  }) as Error;
const corrupt = (message: string | RegExp): Error =>
  expect.objectContaining({
    code: 'CORRUPT_INPUT',
    phase: 'decode',
    kind: 'logicalType',
    message: text(message),
  }) as Error;

describe('defineLogicalType', () => {
  it('makes a frozen provider whose metadata is the canonical document of version and parameters', () => {
    expect(percent).toMatchObject({
      name: 'test.percent',
      encodingVersion: 1,
      metadata: '{"encodingVersion":1,"unit":"%"}',
    });
    expect(Object.isFrozen(percent)).toBe(true);
    expect('compatCheck' in percent).toBe(false);
    expect(defineLogicalType({ ...percentSpec, parameters: undefined as never, metadata: '' }).metadata).toBe('');
    expectTypeOf<LogicalValueOf<typeof percent>>().toEqualTypeOf<number>();
    expectTypeOf(percent).toExtend<AnyLogicalType>();
  });

  it('names every problem of a bad spec', () => {
    const bad = {
      ...percentSpec,
      name: '',
      storageType: 'Int32',
      encodingVersion: 0,
      format: undefined,
    } as unknown as LogicalTypeSpec<number, Int32, number>;
    expect(() => defineLogicalType(bad)).toThrow(
      invalid(
        /'name' must be .*'storageType' must be an Arrow DataType.*'encodingVersion' must be a positive integer.*'format\(\)' is missing/,
      ),
    );
    expect(() => defineLogicalType({ ...percentSpec, metadata: '{}' })).toThrow(
      invalid("give either 'metadata' or 'parameters'"),
    );
    const { parameters: _, ...noParameters } = percentSpec;
    expect(() => defineLogicalType({ ...noParameters, metadata: '{"encodingVersion":2}' })).toThrow(
      invalid("'metadata' names encoding version 2 but 'encodingVersion' is 1"),
    );
    expect(() => defineLogicalType({ ...percentSpec, parameters: { encodingVersion: 3 } })).toThrow(
      invalid("'encodingVersion' is reserved"),
    );
    expect(() => defineLogicalType({ ...percentSpec, parameters: { when: new Date() as never } })).toThrow(
      invalid('parameters of a logical type must be JSON: a Date'),
    );
    expect(() => defineLogicalType(null as never)).toThrow(invalid('must be an object'));
  });

  it('validates values before converting or formatting them', () => {
    expect(percent.toStorage(42)).toBe(42);
    expect(percent.format(7)).toBe('7%');
    expect(percent.isValid(100)).toBe(true);
    expect(percent.isValid(101)).toBe(false);
    expect(() => percent.toStorage(101)).toThrow(
      invalid('invalid test.percent value 101: expected an integer in [0, 100]'),
    );
    expect(() => percent.format(-1)).toThrow(invalid('invalid test.percent value -1'));
    expect(() => percent.validate('7')).toThrow(invalid('invalid test.percent value "7"'));
    expect(percent.validate(3)).toBe(3);
  });

  it('reports a conversion that throws on a valid value as INTERNAL', () => {
    const broken = defineLogicalType({
      ...percentSpec,
      toStorage: () => {
        throw new Error('no storage');
      },
      format: () => {
        throw new Error('no text');
      },
    });
    expect(() => broken.toStorage(5)).toThrow(
      expect.objectContaining({
        code: 'INTERNAL',
        step: 'toStorage',
        key: 'test.percent',
        message: 'toStorage() of test.percent failed on the valid value 5: no storage',
      }) as Error,
    );
    expect(() => broken.format(5)).toThrow(
      expect.objectContaining({
        code: 'INTERNAL',
        step: 'format',
        message: expect.stringContaining('no text'),
      }) as Error,
    );
  });

  it('turns a throwing check into a problem, not a crash', () => {
    const fragile = defineLogicalType({
      ...percentSpec,
      check: () => {
        throw new Error('check broke');
      },
    });
    expect(fragile.isValid(1)).toBe(false);
    expect(() => fragile.validate(1)).toThrow(invalid('checking it threw: check broke'));
  });

  it('parses literals: bounded length, clear errors, checked results', () => {
    expect(percent.parse(' 42% ')).toBe(42);
    expect(() => percent.parse('42')).toThrow(
      invalid(`cannot parse "42" as test.percent: expected digits followed by '%'`),
    );
    expect(() => percent.parse('420%')).toThrow(
      invalid('literal "420%" is not a valid test.percent value: expected an integer in'),
    );
    expect(() => percent.parse('1'.repeat(11))).toThrow(invalid('literal of 11 characters exceeds the limit of 10'));
    expect(() => percent.parse(42 as never)).toThrow(invalid('test.percent literals must be strings (got 42)'));
    try {
      percent.parse('x');
    } catch (error) {
      expect((error as Error).cause).toBeInstanceOf(Error);
    }
  });

  it('reads storage values as CORRUPT_INPUT when they hold no valid value', () => {
    expect(percent.fromStorage(5)).toBe(5);
    expect(() => percent.fromStorage('5')).toThrow(
      corrupt('cannot read storage value "5" as test.percent: expected a number'),
    );
    expect(() => percent.fromStorage(500)).toThrow(corrupt('storage value 500 holds an invalid test.percent value'));
  });

  it('passes compatCheck through; the core check calls it after the contract', async () => {
    const strict = defineLogicalType({
      ...percentSpec,
      compatCheck: (old) => Compat.incompatible(`refusing to replace ${old.name}`),
    });
    expect(await checkLogicalTypeCompat(percent, strict, context)).toEqual({
      type: 'incompatible',
      reason: 'refusing to replace test.percent',
    });
    expect(await checkLogicalTypeCompat(strict, percent, context)).toEqual({ type: 'compatible' });
  });
});

describe('vectorOf / valuesOf', () => {
  it('builds a storage vector with null slots and reads it back', () => {
    const vector = vectorOf(percent, [1, null, 100, undefined, 0]);
    expect(vector.type).toBeInstanceOf(Int32);
    expect(vector.nullCount).toBe(2);
    expect(valuesOf(percent, vector)).toEqual([1, null, 100, null, 0]);
    expect(valuesOf(percent, vectorOf(percent, []))).toEqual([]);
  });

  it('names the row of a bad value, and refuses a non-iterable', () => {
    expect(() => vectorOf(percent, [1, 2, 300])).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(/^row 2: invalid test.percent value 300/),
        details: { row: 2 },
      }),
    );
    expect(() => vectorOf(percent, 5 as never)).toThrow(invalid('must be iterable (got 5)'));
  });

  it('names the row of a bad storage value, and refuses a vector of another storage type', () => {
    expect(() => valuesOf(percent, vectorFromArray([1, 2, 300], new Int32()))).toThrow(
      expect.objectContaining({ code: 'CORRUPT_INPUT', message: expect.stringMatching(/^row 2: storage value 300/) }),
    );
    expect(() => valuesOf(percent, vectorFromArray([1.5], new Float64()))).toThrow(
      expect.objectContaining({
        code: 'CORRUPT_INPUT',
        details: expect.objectContaining({ problem: 'storageMismatch', expected: 'Int32', actual: 'Float64' }),
      }),
    );
    expect(() => valuesOf(percent, vectorFromArray(['1'], new Utf8()))).toThrow(
      "'test.percent' columns are stored as Int32, not Utf8",
    );
  });
});
