/**
 * The wrong-argument half of the public-decoder table (`publicDecoders.test.ts` holds the bad
 * bytes): every export of @baton/kinds (its main entry and the `codec` and `cdc` subpaths) from the
 * codec, CRDT, logical-type and index-kind modules
 * that takes an argument — and every method of the objects and classes they export — given a
 * value of every wrong type in each argument position returns or throws a `ReloadError`
 * (`INVALID_ARGUMENT` for a bad argument, `CORRUPT_INPUT` for bad bytes), never a plain
 * `TypeError` or `RangeError`.
 */
import { describe, expect, it } from 'vitest';
import { crdtArgumentRows } from '../crdt/__tests__/crdtArgumentRows.js';
import { indexArgumentRows } from '../indexKind/__tests__/indexArgumentRows.js';
import * as cdcEntry from '../cdc.js';
import * as codecEntry from '../codec.js';
import { bodySchema, decodeEnvelope, encodeEnvelope, pack, peekEnvelope, unpack } from '../codec.js';
import * as mainEntry from '../index.js';
import { logicalTypeArgumentRows } from '../logicalType/__tests__/logicalTypeArgumentRows.js';
import type { ArgumentRow } from './__tests__/wrongArguments.js';
import { ARGUMENT, BYTES, checkRow } from './__tests__/wrongArguments.js';

const envelope = encodeEnvelope('g-counter', 1, new Map([['a', 1]]));
const expectation = { kind: 'g-counter', versions: [1], bodies: { 1: bodySchema.any() }, maxBytes: 1024 };
const s = bodySchema;

const codecRows: readonly ArgumentRow[] = [
  { name: 'pack', args: [{ a: [1, 'x'] }], call: (value) => pack(value) },
  { name: 'unpack', args: [pack([1, 'x'])], codes: [BYTES], call: (bytes) => unpack(bytes as Uint8Array) },
  {
    name: 'decodeEnvelope',
    args: [envelope, expectation],
    codes: [BYTES, ARGUMENT],
    call: (bytes, expected) => decodeEnvelope(bytes as Uint8Array, expected as typeof expectation),
  },
  {
    name: 'encodeEnvelope',
    args: ['g-counter', 1, [1, 'x']],
    call: (kind, version, body) => encodeEnvelope(kind as string, version as number, body),
  },
  { name: 'peekEnvelope', args: [envelope], codes: [[]], call: (bytes) => peekEnvelope(bytes as Uint8Array) },
  { name: 'bodySchema.str', args: [0, 8], call: (min, max) => s.str(min as number, max as number) },
  { name: 'bodySchema.bin', args: [8], call: (max) => s.bin(max as number) },
  { name: 'bodySchema.bigint', args: [8], call: (max) => s.bigint(max as number) },
  {
    name: 'bodySchema.oneOf',
    args: ['a number or a string', s.number(), s.str(0, 8)],
    call: (description, ...options) => s.oneOf(description as string, ...(options as never[])),
  },
  { name: 'bodySchema.tuple', args: [s.number(), s.any()], call: (...items) => s.tuple(...(items as never[])) },
  {
    name: 'bodySchema.tupleOrEmpty',
    args: [s.number(), s.bool()],
    call: (...items) => s.tupleOrEmpty(...(items as never[])),
  },
  {
    name: 'bodySchema.list',
    args: [s.bin(4), 10, { increasingBins: true }],
    call: (item, max, options) => s.list(item as never, max as number, options as never),
  },
  {
    name: 'bodySchema.map',
    args: [s.str(1, 4), s.number(), 10],
    call: (key, value, max) => s.map(key as never, value as never, max as number),
  },
  {
    name: 'decodeEnvelope (a hand-made body schema)',
    args: [{ type: 'map', key: { type: 'str', minBytes: 1, maxBytes: 4 }, value: { type: 'number' }, maxEntries: 4 }],
    call: (schema) => decodeEnvelope(envelope, { kind: 'g-counter', versions: [1], bodies: { 1: schema as never } }),
  },
];

const rows = [...codecRows, ...crdtArgumentRows, ...logicalTypeArgumentRows, ...indexArgumentRows];

/**
 * Exports of other modules (CDC outputs, clean-surface providers: their own tables); constants and
 * functions without arguments need no row.
 */
const notHere = new Set([
  'ChangeLog',
  'fileCdcOutput',
  'readFileSink',
  'callbackCdcOutput',
  'CdcPosition',
  'CdcChannel',
  'lowerFunction',
  'upperFunction',
  'l2NormFunction',
  'meanAggregate',
  'sumAggregate',
  'MemoryStore',
  'memoryStorageBackend',
  'storageLimits',
  'checkStorageKey',
  'checkStorageValue',
  'storageStatsJob',
  'changeLogRetentionJob',
]);

/** The row names an export (or a method of it) must be covered by: `name`, `new Class`, `Class.method`, `object.method`. */
function rowNamesOf(name: string, value: unknown): string[] {
  if (typeof value === 'function') {
    if (!/^class\b/.test(Function.prototype.toString.call(value))) return value.length > 0 ? [name] : [];
    const prototype = (value as { prototype: object }).prototype;
    const methods = Object.getOwnPropertyNames(prototype).filter((member) => {
      const descriptor = Object.getOwnPropertyDescriptor(prototype, member)!;
      return (
        member !== 'constructor' &&
        typeof descriptor.value === 'function' &&
        (descriptor.value as () => unknown).length > 0
      );
    });
    return [`new ${name}`, ...methods.map((method) => `${name}.${method}`)];
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  return Object.entries(value)
    .filter(([, member]) => typeof member === 'function' && (member as () => unknown).length > 0)
    .map(([member]) => `${name}.${member}`);
}

describe('every export with arguments refuses wrong types with a ReloadError', () => {
  for (const row of rows) it(row.name, () => checkRow(row));

  it('covers every export of these modules that takes an argument', () => {
    const names = rows.map((row) => row.name);
    const missing = Object.entries({ ...mainEntry, ...codecEntry, ...cdcEntry })
      .filter(([name]) => !notHere.has(name))
      .flatMap(([name, value]) => rowNamesOf(name, value))
      .filter((name) => !names.some((row) => row === name || row.startsWith(`${name} (`)));
    expect(missing).toEqual([]);
  });
});
