/** The logical-type exports of @baton/kinds and their methods, as rows of the wrong-argument table. */
import { Field, FixedSizeBinary, Schema, Utf8 } from 'apache-arrow';
import type { ArgumentRow } from '../../codec/__tests__/wrongArguments.js';
import { ARGUMENT, BYTES } from '../../codec/__tests__/wrongArguments.js';
import {
  defineLogicalType,
  extensionField,
  extensionMetadataOf,
  extensionNameOf,
  geoPointType,
  jsonType,
  logicalFieldsOf,
  logicalTable,
  LogicalTypeRegistry,
  uuidType,
  valuesOf,
  vectorOf,
} from '../../index.js';
import { canonicalJson, jsonValueProblem } from '../canonicalJson.js';
import { formatWktPoint, geoPointProblem, parseWktPoint } from '../geoPoint.js';
import { readTypeMetadata, typeMetadata } from '../typeMetadata.js';
import type { AnyLogicalType } from '../../index.js';

const UUID = '0b0e8c3a-6f1d-4c2e-9a57-3f2b8d1e4c60';
const uuidField = extensionField(uuidType(), 'id');
const uuidVector = vectorOf(uuidType(), [UUID]);

/** A valid value, storage value and literal of each exported type. */
const samples: readonly [string, AnyLogicalType, unknown, unknown, string][] = [
  ['uuidType()', uuidType(), UUID, uuidType().toStorage(UUID), UUID],
  ['jsonType()', jsonType(), { a: [1] }, '{"a":[1]}', '{"a":[1]}'],
  ['geoPointType()', geoPointType(), { lon: 1, lat: 2 }, [1, 2], 'POINT(1 2)'],
  ['geoPointType({ version: 2 })', geoPointType({ version: 2 }), { lon: 1, lat: 2 }, { lon: 1, lat: 2 }, 'POINT(1 2)'],
];

const typeRows = samples.flatMap(([name, type, value, storage, literal]): ArgumentRow[] => [
  { name: `${name}.isValid`, args: [value], call: (v) => type.isValid(v) },
  { name: `${name}.validate`, args: [value], call: (v) => type.validate(v) },
  { name: `${name}.toStorage`, args: [value], call: (v) => type.toStorage(v) },
  { name: `${name}.fromStorage`, args: [storage], codes: [BYTES], call: (s) => type.fromStorage(s) },
  { name: `${name}.parse`, args: [literal], call: (l) => type.parse(l as string) },
  { name: `${name}.format`, args: [value], call: (v) => type.format(v) },
  ...(type.compatCheck === undefined
    ? []
    : [{ name: `${name}.compatCheck`, args: [type], call: (old: unknown) => type.compatCheck!(old as never) }]),
]);

const spec = {
  name: 'test.text',
  storageType: new Utf8(),
  encodingVersion: 1,
  description: 'a string',
  check: (v: unknown) => (typeof v === 'string' ? undefined : 'not a string'),
  toStorage: (v: string) => v,
  fromStorage: (s: unknown) => s as string,
  parse: (l: string) => l,
  format: (v: string) => v,
};

const registry = (): LogicalTypeRegistry => new LogicalTypeRegistry([uuidType()]);

export const logicalTypeArgumentRows: readonly ArgumentRow[] = [
  ...typeRows,
  { name: 'defineLogicalType', args: [spec], call: (s) => defineLogicalType(s as typeof spec) },
  { name: 'geoPointType', args: [{ version: 2 }], call: (options) => geoPointType(options as never) },
  {
    name: 'extensionField',
    args: [uuidType(), 'id', true, new Map([['k', 'v']])],
    call: (type, name, nullable, metadata) =>
      extensionField(
        type as ReturnType<typeof uuidType>,
        name as string,
        nullable as boolean,
        metadata as Map<string, string>,
      ),
  },
  { name: 'extensionNameOf', args: [uuidField], call: (field) => extensionNameOf(field as Field) },
  { name: 'extensionMetadataOf', args: [uuidField], call: (field) => extensionMetadataOf(field as Field) },
  {
    name: 'valuesOf',
    args: [uuidType(), uuidVector],
    codes: [ARGUMENT, [...ARGUMENT, ...BYTES]],
    call: (type, vector) => valuesOf(type as ReturnType<typeof uuidType>, vector as typeof uuidVector),
  },
  { name: 'vectorOf', args: [uuidType(), [UUID]], call: (type, values) => vectorOf(type as never, values as never) },
  {
    name: 'logicalTable',
    args: [new Schema([uuidField]), { id: uuidVector }],
    call: (schema, columns) => logicalTable(schema as Schema, columns as never),
  },
  { name: 'new LogicalTypeRegistry', args: [[uuidType()]], call: (types) => new LogicalTypeRegistry(types as never) },
  { name: 'LogicalTypeRegistry.register', args: [jsonType()], call: (type) => registry().register(type as never) },
  {
    name: 'LogicalTypeRegistry.unregister',
    args: ['arrow.uuid'],
    call: (name) => registry().unregister(name as string),
  },
  { name: 'LogicalTypeRegistry.get', args: ['arrow.uuid'], call: (name) => registry().get(name as string) },
  { name: 'LogicalTypeRegistry.has', args: ['arrow.uuid'], call: (name) => registry().has(name as string) },
  {
    name: 'LogicalTypeRegistry.resolve',
    args: [uuidField, { unknown: 'error' }, 'id'],
    codes: [[...ARGUMENT, ...BYTES, 'SURFACE_NOT_FOUND'], ARGUMENT, ARGUMENT],
    call: (field, options, path) => registry().resolve(field as Field, options as never, path as string),
  },
  {
    name: 'logicalFieldsOf',
    args: [new Schema([uuidField, new Field('n', new FixedSizeBinary(16))]), registry(), { unknown: 'asStorage' }],
    call: (schema, reg, options) => logicalFieldsOf(schema as Schema, reg as LogicalTypeRegistry, options as never),
  },
  { name: 'readTypeMetadata', args: ['{"encodingVersion":1}'], call: (m) => readTypeMetadata(m as string) },
  { name: 'typeMetadata', args: [1, { crs: 'x' }], call: (v, p) => typeMetadata(v as number, p as never) },
  { name: 'canonicalJson', args: [{ b: [1, 'x'], a: null }], call: (v) => canonicalJson(v as never) },
  { name: 'jsonValueProblem', args: [{ a: 1 }, 8], call: (v, depth) => jsonValueProblem(v, depth as number) },
  { name: 'formatWktPoint', args: [{ lon: 1, lat: 2 }], call: (p) => formatWktPoint(p as never) },
  { name: 'geoPointProblem', args: [{ lon: 1, lat: 2 }], call: (p) => geoPointProblem(p) },
  { name: 'parseWktPoint', args: ['POINT(1 2)'], call: (l) => parseWktPoint(l as string) },
];
