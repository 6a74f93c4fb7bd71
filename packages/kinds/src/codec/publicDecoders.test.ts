/**
 * Every export of @baton/kinds that decodes or parses answers bad input with a `ReloadError`
 * (`CORRUPT_INPUT` for bytes and storage, `INVALID_ARGUMENT` for literals and arguments), never a
 * plain `Error` — one row per export. Wrong-typed arguments (not bytes, not an object…) of every
 * export are the table of `publicArguments.test.ts`.
 */
import { isReloadError } from '@baton/core';
import type { Schema } from 'apache-arrow';
import { Field, Float64, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { decodeEnvelope, peekEnvelope, unpack } from '../codec.js';
import { migrateGCounterV1ToV2 } from '../crdt/gCounter.js';
import {
  gCounter,
  lwwRegister,
  orSet,
  pnCounter,
  extensionField,
  flatVectorIndex,
  geoPointType,
  jsonType,
  logicalFieldsOf,
  LogicalTypeRegistry,
  orderedIndex,
  uuidType,
  valuesOf,
} from '../index.js';
import { parseWktPoint } from '../logicalType/geoPoint.js';
import { readTypeMetadata } from '../logicalType/typeMetadata.js';
import { craftedEnvelope, listOfEmptyMaps } from './__tests__/craftedEnvelope.js';

/** One export: the inputs it must refuse and the code it must refuse them with. */
interface Row {
  readonly name: string;
  readonly code: 'CORRUPT_INPUT' | 'INVALID_ARGUMENT';
  readonly bad: unknown[];
  readonly call: (input: unknown) => unknown;
}

/** Bytes no decoder can read: garbage, a truncated header, a valid envelope of an impossible body, not bytes. */
const badBytes = (kind: string): unknown[] => [
  new Uint8Array([0xc1, 0xff, 0x00, 0x42]),
  new Uint8Array(0),
  craftedEnvelope(kind, 1, listOfEmptyMaps(100_000)),
  craftedEnvelope(kind, 1, [0x82, 0xa2, 0x72, 0x31, 5, 0xa2, 0x72, 0x31, 7]), // {r1: 5, r1: 7}
  'not bytes',
  null,
];

const crdtRows = Object.entries({
  'gCounter()': gCounter(),
  'gCounter({ format: 2 })': gCounter({ format: 2 }),
  'pnCounter()': pnCounter(),
  'lwwRegister()': lwwRegister(),
  'orSet()': orSet(),
  'gCounter({ maxBytes })': gCounter({ maxBytes: 1 << 20 }),
  'gCounter({ format: 2, maxBytes })': gCounter({ format: 2, maxBytes: 1 << 20 }),
  'pnCounter({ maxBytes })': pnCounter({ maxBytes: 1 << 20 }),
  'lwwRegister({ maxBytes })': lwwRegister({ maxBytes: 1 << 20 }),
  'orSet({ maxBytes })': orSet({ maxBytes: 1 << 20 }),
}).map(([name, provider]): Row => ({
  name: `${name}.fromPersisted`,
  code: 'CORRUPT_INPUT',
  bad: badBytes(provider.kind),
  call: (input: unknown) => provider.fromPersisted(input as Uint8Array),
}));

const geoField = new Field('p', new Float64());
const rows: Row[] = [
  ...crdtRows,
  {
    name: 'unpack',
    code: 'CORRUPT_INPUT',
    bad: [...badBytes('x'), Uint8Array.of(0xd4, 0x72, 0x40)],
    call: (b) => unpack(b as Uint8Array),
  },
  {
    name: 'decodeEnvelope',
    code: 'CORRUPT_INPUT',
    bad: badBytes('g-counter'),
    call: (b) => decodeEnvelope(b as Uint8Array, { kind: 'g-counter', versions: [1] }),
  },
  {
    name: 'migrateGCounterV1ToV2',
    code: 'CORRUPT_INPUT',
    bad: badBytes('g-counter'),
    call: (b) => migrateGCounterV1ToV2(b as Uint8Array),
  },
  {
    name: 'flatVectorIndex().open',
    code: 'CORRUPT_INPUT',
    bad: badBytes('flat-vector'),
    call: (b) => flatVectorIndex().open(b as Uint8Array),
  },
  {
    name: 'orderedIndex().open',
    code: 'CORRUPT_INPUT',
    bad: badBytes('ordered'),
    call: (b) => orderedIndex().open(b as Uint8Array),
  },
  {
    name: 'parseWktPoint',
    code: 'INVALID_ARGUMENT',
    bad: [
      'POINT EMPTY',
      'POINT Z (1 2 3)',
      'SRID=3857;POINT(1 2)',
      'LINESTRING(0 0, 1 1)',
      'x'.repeat(10_000),
      42,
      null,
    ],
    call: (literal) => parseWktPoint(literal as string),
  },
  {
    name: 'readTypeMetadata',
    code: 'INVALID_ARGUMENT',
    bad: [42, null, {}],
    call: (m) => readTypeMetadata(m as string),
  },
  ...[geoPointType(), geoPointType({ version: 2 }), uuidType(), jsonType()].flatMap((type): Row[] => [
    {
      name: `${type.name}.parse`,
      code: 'INVALID_ARGUMENT',
      bad: ['{', 'POINT(1)', 'not-a-uuid', 'x'.repeat(20 * 1024 * 1024), 7],
      call: (literal: unknown) => type.parse(literal as string),
    },
    {
      name: `${type.name}.fromStorage`,
      code: 'CORRUPT_INPUT',
      bad: [Symbol('s'), { lon: 'a' }, new Uint8Array(3), 'not json {', [1]],
      call: (storage: unknown) => type.fromStorage(storage),
    },
  ]),
  {
    name: 'valuesOf',
    code: 'CORRUPT_INPUT',
    bad: [vectorFromArray([1.5, 2.5]), vectorFromArray(['a', 'b'])],
    call: (vector) => valuesOf(uuidType(), vector as never),
  },
  {
    name: 'LogicalTypeRegistry.resolve',
    code: 'CORRUPT_INPUT',
    bad: [
      extensionField(geoPointType(), 'p').clone({ type: new Float64() }),
      new Field(
        'p',
        new Float64(),
        true,
        new Map([
          ['ARROW:extension:name', 'baton.geo.point'],
          ['ARROW:extension:metadata', '{"encodingVersion":9}'],
        ]),
      ),
    ],
    call: (field) => new LogicalTypeRegistry([geoPointType()]).resolve(field as Field),
  },
  {
    name: 'logicalFieldsOf',
    code: 'INVALID_ARGUMENT',
    bad: [null, {}, geoField],
    call: (schema) => logicalFieldsOf(schema as Schema, new LogicalTypeRegistry()),
  },
];

function thrown(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('every decoding or parsing export throws a ReloadError', () => {
  for (const row of rows) {
    it(row.name, () => {
      for (const input of row.bad) {
        const error = thrown(() => row.call(input));
        expect(isReloadError(error), `${row.name}(${String(input).slice(0, 40)}) threw ${String(error)}`).toBe(true);
        expect(error).toMatchObject({ code: row.code });
      }
    });
  }

  it('peekEnvelope answers undefined for anything that is not an envelope, never throws', () => {
    for (const input of [...badBytes('g-counter').slice(0, 2), 'x', null, new Uint8Array(13)])
      expect(peekEnvelope(input as Uint8Array)).toBeUndefined();
    expect(peekEnvelope(craftedEnvelope('g-counter', 1, listOfEmptyMaps(8)))).toEqual({
      kind: 'g-counter',
      formatVersion: 1,
    });
  });
});
