import {
  Field,
  FixedSizeBinary,
  FixedSizeList,
  Float32,
  Float64,
  Int32,
  List,
  Schema,
  Struct,
  Utf8,
} from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { extensionField, extensionMetadataOf, extensionNameOf } from './extensionField.js';
import { geoPointType } from './geoPointType.js';
import { jsonType } from './jsonType.js';
import { logicalFieldsOf } from './logicalFields.js';
import { LogicalTypeRegistry } from './logicalTypeRegistry.js';
import { EXTENSION_METADATA_KEY, EXTENSION_NAME_KEY } from './typeMetadata.js';
import { uuidType } from './uuidType.js';

const registry = (): LogicalTypeRegistry => new LogicalTypeRegistry([uuidType(), jsonType(), geoPointType()]);
const tagged = (name: string, type: Field['type'], extension: string, metadata?: string): Field =>
  new Field(
    name,
    type,
    true,
    new Map([
      [EXTENSION_NAME_KEY, extension],
      ...(metadata === undefined ? [] : [[EXTENSION_METADATA_KEY, metadata] as [string, string]]),
    ]),
  );
const problem = (problem: string, code: string, message: string, details: Record<string, unknown> = {}): Error =>
  expect.objectContaining({
    code,
    phase: 'decode',
    kind: 'logicalType',
    message: expect.stringContaining(message),
    details: expect.objectContaining({ problem, ...details }),
  }) as Error;

describe('extensionField', () => {
  it('carries the storage type and the two extension keys, plus extra metadata', () => {
    const field = extensionField(geoPointType(), 'location', false, new Map([['comment', 'where']]));
    expect(field).toMatchObject({ name: 'location', nullable: false });
    expect(field.type).toBe(geoPointType().storageType);
    expect(extensionNameOf(field)).toBe('baton.geo.point');
    expect(extensionMetadataOf(field)).toBe('{"crs":"OGC:CRS84","encodingVersion":1}');
    expect(field.metadata.get('comment')).toBe('where');
    expect(extensionField(uuidType(), 'id').nullable).toBe(true);
  });

  it('refuses extra metadata that would override the extension keys, and empty names', () => {
    expect(() => extensionField(uuidType(), 'id', true, new Map([[EXTENSION_NAME_KEY, 'x']]))).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: expect.stringContaining(`may not set '${EXTENSION_NAME_KEY}'`),
      }),
    );
    expect(() => extensionField(uuidType(), '')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('reads a missing metadata entry as ""', () => {
    expect(extensionMetadataOf(tagged('id', new FixedSizeBinary(16), 'arrow.uuid'))).toBe('');
    expect(extensionNameOf(new Field('plain', new Int32()))).toBeUndefined();
  });
});

describe('LogicalTypeRegistry', () => {
  it('resolves fields to their registered type; plain fields to undefined', () => {
    const r = registry();
    expect(r.names()).toEqual(['arrow.uuid', 'arrow.json', 'baton.geo.point']);
    expect(r.resolve(extensionField(uuidType(), 'id'))).toBe(uuidType());
    expect(r.resolve(extensionField(geoPointType(), 'at'))).toBe(geoPointType());
    expect(r.resolve(new Field('n', new Int32()))).toBeUndefined();
    // Other writers: no metadata entry, "{}", or the document with other key order and spacing.
    expect(r.resolve(tagged('id', new FixedSizeBinary(16), 'arrow.uuid'))).toBe(uuidType());
    expect(r.resolve(tagged('doc', new Utf8(), 'arrow.json', '{}'))).toBe(jsonType());
    expect(
      r.resolve(
        tagged('at', geoPointType().storageType, 'baton.geo.point', '{ "encodingVersion": 1, "crs": "OGC:CRS84" }'),
      ),
    ).toBe(geoPointType());
  });

  it('reports an unknown extension name as SURFACE_NOT_FOUND, or treats it as storage when asked', () => {
    const field = tagged('shape', new Utf8(), 'geoarrow.wkt', '');
    expect(() => registry().resolve(field)).toThrow(
      problem(
        'unknownName',
        'SURFACE_NOT_FOUND',
        "field 'shape': extension type 'geoarrow.wkt' is not registered (registered: arrow.uuid, arrow.json, baton.geo.point)",
        { field: 'shape', extensionName: 'geoarrow.wkt' },
      ),
    );
    expect(registry().resolve(field, { unknown: 'asStorage' })).toBeUndefined();
    expect(() => new LogicalTypeRegistry().resolve(field)).toThrow('(registered: none)');
  });

  it('reports a storage mismatch naming both storage types', () => {
    const r = registry();
    expect(() => r.resolve(tagged('id', new FixedSizeBinary(8), 'arrow.uuid', ''))).toThrow(
      problem(
        'storageMismatch',
        'CORRUPT_INPUT',
        "field 'id': stored as FixedSizeBinary[8]; 'arrow.uuid' is stored as FixedSizeBinary[16]",
        { expected: 'FixedSizeBinary[16]', actual: 'FixedSizeBinary[8]' },
      ),
    );
    // Deep: same list size, other child type, name or nullability.
    const children: Field[] = [
      new Field('item', new Float32(), true),
      new Field('xy', new Float64(), true),
      new Field('item', new Float64(), false),
    ];
    for (const child of children) {
      expect(() =>
        r.resolve(tagged('at', new FixedSizeList(2, child), 'baton.geo.point', geoPointType().metadata)),
      ).toThrow(
        problem(
          'storageMismatch',
          'CORRUPT_INPUT',
          "'baton.geo.point' is stored as FixedSizeList[2]<Float64> {item: Float64?}",
        ),
      );
    }
  });

  it('checks the encoding version the field was written with', () => {
    const v2 = extensionField(geoPointType({ version: 2 }), 'at');
    expect(() => registry().resolve(v2)).toThrow(
      problem(
        'encodingVersionMismatch',
        'CORRUPT_INPUT',
        "written with encoding version 2 of 'baton.geo.point', but the registered type reads encoding version 1 (stored as Struct",
        { expected: 1, actual: 2 },
      ),
    );
    const sameStorage = tagged(
      'at',
      geoPointType().storageType,
      'baton.geo.point',
      '{"crs":"OGC:CRS84","encodingVersion":3}',
    );
    expect(() => registry().resolve(sameStorage)).toThrow(
      problem('encodingVersionMismatch', 'CORRUPT_INPUT', 'encoding version 3'),
    );
    expect(new LogicalTypeRegistry([geoPointType({ version: 2 })]).resolve(v2)).toBe(geoPointType({ version: 2 }));
  });

  it('reports other metadata differences', () => {
    const r = registry();
    for (const metadata of [
      '{"crs":"EPSG:4326","encodingVersion":1}',
      '{"crs":"OGC:CRS84"}',
      'opaque',
      '[1]',
      '{"crs":',
    ]) {
      expect(() => r.resolve(tagged('at', geoPointType().storageType, 'baton.geo.point', metadata)), metadata).toThrow(
        problem('metadataMismatch', 'CORRUPT_INPUT', `extension metadata ${JSON.stringify(metadata)} differs`),
      );
    }
    expect(() => r.resolve(tagged('id', new FixedSizeBinary(16), 'arrow.uuid', '{"x":1}'))).toThrow(
      problem('metadataMismatch', 'CORRUPT_INPUT', 'differs'),
    );
    expect(() => r.resolve(tagged('id', new FixedSizeBinary(16), 'arrow.uuid', 'x'.repeat(100_000)))).toThrow(
      problem('metadataMismatch', 'CORRUPT_INPUT', 'differs'),
    );
  });

  it('replaces a type with the same contract and refuses another contract under the same name', () => {
    const r = registry();
    expect(() => r.register(geoPointType({ version: 2 }))).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(
          /already registered with another extension contract: storage type FixedSizeList.* → Struct.*encoding version 1 → 2/,
        ),
      }),
    );
    expect(r.get('baton.geo.point')).toBe(geoPointType());
    expect(r.unregister('baton.geo.point')).toBe(true);
    expect(r.unregister('baton.geo.point')).toBe(false);
    r.register(geoPointType({ version: 2 }));
    expect(r.get('baton.geo.point')).toBe(geoPointType({ version: 2 }));
    expect(r.has('arrow.json')).toBe(true);
    expect(() => r.register({ name: 'x' } as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('logicalFieldsOf', () => {
  const schema = new Schema([
    extensionField(uuidType(), 'id', false),
    new Field('n', new Int32()),
    new Field('props', new Struct([extensionField(jsonType(), 'doc'), new Field('label', new Utf8())])),
    new Field('track', new List(extensionField(geoPointType(), 'item'))),
    extensionField(geoPointType(), 'home'),
  ]);

  it('finds top-level and nested logical fields with their paths', () => {
    const found = logicalFieldsOf(schema, registry());
    expect(found.map(({ path, indices, type }) => ({ path, indices, name: type.name }))).toEqual([
      { path: ['id'], indices: [0], name: 'arrow.uuid' },
      { path: ['props', 'doc'], indices: [2, 0], name: 'arrow.json' },
      { path: ['track', 'item'], indices: [3, 0], name: 'baton.geo.point' },
      { path: ['home'], indices: [4], name: 'baton.geo.point' },
    ]);
    expect(found[0]!.field).toBe(schema.fields[0]);
  });

  it('names the dotted path of a nested field that does not resolve', () => {
    const bad = new Schema([new Field('props', new Struct([tagged('doc', new Utf8(), 'baton.unknown')]))]);
    expect(() => logicalFieldsOf(bad, registry())).toThrow(
      problem('unknownName', 'SURFACE_NOT_FOUND', "field 'props.doc'", { field: 'props.doc' }),
    );
    expect(logicalFieldsOf(bad, registry(), { unknown: 'asStorage' })).toEqual([]);
    const mismatch = new Schema([new Field('track', new List(extensionField(geoPointType({ version: 2 }), 'item')))]);
    expect(() => logicalFieldsOf(mismatch, registry())).toThrow(
      problem('encodingVersionMismatch', 'CORRUPT_INPUT', "field 'track.item'"),
    );
    expect(() => logicalFieldsOf({} as never, registry())).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});
