import { fc, test } from '@fast-check/vitest';
import {
  Field,
  Int32,
  Schema,
  Struct,
  makeData,
  makeVector,
  tableFromIPC,
  tableToIPC,
  vectorFromArray,
} from 'apache-arrow';
import type { Table } from 'apache-arrow';
import type { Vector } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import type { JsonValue } from './canonicalJson.js';
import { extensionField } from './extensionField.js';
import type { GeoPoint } from './geoPoint.js';
import { geoPointType } from './geoPointType.js';
import { jsonType } from './jsonType.js';
import { logicalFieldsOf } from './logicalFields.js';
import { logicalTable } from './logicalTable.js';
import { LogicalTypeRegistry } from './logicalTypeRegistry.js';
import { valuesOf, vectorOf } from './logicalVector.js';
import { EXTENSION_METADATA_KEY, EXTENSION_NAME_KEY } from './typeMetadata.js';
import { uuidType } from './uuidType.js';

interface Row {
  readonly id: string;
  readonly doc: JsonValue | null;
  readonly at: GeoPoint | null;
}

const row = fc.record({
  id: fc.uuid(),
  doc: fc.option(fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<JsonValue>, { nil: null }),
  at: fc.option(
    fc.record({
      lon: fc.double({ min: -180, max: 180, noNaN: true }),
      lat: fc.double({ min: -90, max: 90, noNaN: true }),
    }),
    { nil: null },
  ),
});

function tableOf(rows: readonly Row[]): Table {
  const schema = new Schema(
    [
      extensionField(uuidType(), 'id', false),
      extensionField(jsonType(), 'doc'),
      extensionField(geoPointType(), 'at'),
      new Field('n', new Int32(), false),
    ],
    new Map([['table', 'places']]),
  );
  return logicalTable(schema, {
    id: vectorOf(
      uuidType(),
      rows.map((r) => r.id),
    ),
    doc: vectorOf(
      jsonType(),
      rows.map((r) => r.doc),
    ),
    at: vectorOf(
      geoPointType(),
      rows.map((r) => r.at),
    ),
    n: vectorFromArray(Int32Array.from(rows, (_, i) => i)),
  });
}

/** Reads a table back: resolves its fields through the registry and converts every logical column. */
function readRows(table: Table, registry: LogicalTypeRegistry): Record<string, unknown[]> {
  const columns: Record<string, unknown[]> = {};
  for (const { path, type } of logicalFieldsOf(table.schema, registry)) {
    columns[path.join('.')] = valuesOf(type, table.getChild(path[0]!) as Vector);
  }
  return columns;
}

const registry = new LogicalTypeRegistry([uuidType(), jsonType(), geoPointType()]);
/** JSON values read back as canonical JSON wrote them (-0 becomes 0). */
const normalised = (value: unknown): unknown => (value === null ? null : JSON.parse(JSON.stringify(value)));

describe.each(['stream', 'file'] as const)('Arrow IPC %s format', (format) => {
  it('keeps the extension metadata of every field, and the field nullability and child names', () => {
    const table = tableOf([{ id: '0b0e8c3a-6f1d-4c2e-9a57-3f2b8d1e4c60', doc: { a: 1 }, at: { lon: 1, lat: 2 } }]);
    const back = tableFromIPC(tableToIPC(table, format));
    for (const [i, field] of back.schema.fields.entries()) {
      const original = table.schema.fields[i]!;
      expect(new Map(field.metadata)).toEqual(new Map(original.metadata));
      expect(field.nullable).toBe(original.nullable);
    }
    expect(back.schema.fields[0]!.metadata.get(EXTENSION_NAME_KEY)).toBe('arrow.uuid');
    expect(back.schema.fields[2]!.metadata.get(EXTENSION_METADATA_KEY)).toBe('{"crs":"OGC:CRS84","encodingVersion":1}');
    expect(back.schema.metadata.get('table')).toBe('places');
    expect(logicalFieldsOf(back.schema, registry).map((f) => f.type)).toEqual([uuidType(), jsonType(), geoPointType()]);
  });

  it('keeps logical fields nested in a struct', () => {
    const ids = ['0b0e8c3a-6f1d-4c2e-9a57-3f2b8d1e4c60', 'ffffffff-0000-4000-8000-000000000001'];
    const placeType = new Struct([extensionField(uuidType(), 'id', false), extensionField(geoPointType(), 'at')]);
    const children = [
      vectorOf(uuidType(), ids).data[0]!,
      vectorOf(geoPointType(), [{ lon: 3, lat: 4 }, null]).data[0]!,
    ];
    const place = makeVector(makeData({ type: placeType, length: 2, nullCount: 0, children }));
    const schema = new Schema([extensionField(jsonType(), 'doc'), new Field('place', placeType, false)]);
    const back = tableFromIPC(
      tableToIPC(logicalTable(schema, { doc: vectorOf(jsonType(), [[1], { a: 'b' }]), place }), format),
    );
    expect(logicalFieldsOf(back.schema, registry).map((f) => [f.path.join('.'), f.indices, f.type.name])).toEqual([
      ['doc', [0], 'arrow.json'],
      ['place.id', [1, 0], 'arrow.uuid'],
      ['place.at', [1, 1], 'baton.geo.point'],
    ]);
    const backPlace = back.getChild('place')!;
    expect(valuesOf(uuidType(), backPlace.getChildAt(0)!)).toEqual(ids);
    expect(valuesOf(geoPointType(), backPlace.getChildAt(1)!)).toEqual([{ lon: 3, lat: 4 }, null]);
    expect(valuesOf(jsonType(), back.getChild('doc')!)).toEqual([[1], { a: 'b' }]);
  });

  it('is refused by a registry that knows another version of a type', () => {
    const back = tableFromIPC(tableToIPC(tableOf([]), format));
    expect(() =>
      logicalFieldsOf(back.schema, new LogicalTypeRegistry([uuidType(), jsonType(), geoPointType({ version: 2 })])),
    ).toThrow(
      expect.objectContaining({
        code: 'CORRUPT_INPUT',
        details: expect.objectContaining({ problem: 'encodingVersionMismatch', field: 'at' }),
      }),
    );
  });
});

test.prop([fc.array(row, { maxLength: 25 }), fc.constantFrom('stream' as const, 'file' as const)], { numRuns: 40 })(
  'a table of logical columns round-trips through IPC with equal values',
  (rows, format) => {
    const back = tableFromIPC(tableToIPC(tableOf(rows), format));
    expect(back.numRows).toBe(rows.length);
    const columns = readRows(back, registry);
    expect(columns['id']).toEqual(rows.map((r) => r.id));
    expect(columns['doc']).toEqual(rows.map((r) => normalised(r.doc)));
    expect(columns['at']).toEqual(rows.map((r) => r.at));
  },
);
