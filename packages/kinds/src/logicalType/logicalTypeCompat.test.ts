import { createPluginHost, definePlugin } from '@baton/core';
import { checkLogicalTypeCompat, extensionContractDiff } from '@baton/core/kit';
import type { CompatContext, LogicalTypeProvider } from '@baton/core';
import { Field, FixedSizeBinary, FixedSizeList, Float32, Float64 } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { defineLogicalType } from './defineLogicalType.js';
import type { LogicalType } from './defineLogicalType.js';
import { geoPointType } from './geoPointType.js';
import { jsonType } from './jsonType.js';
import { uuidType } from './uuidType.js';

const context = (key: string): CompatContext => ({
  kind: 'logicalType',
  key,
  signal: new AbortController().signal,
  timeoutMs: 1000,
  samples: [],
  liveResources: [],
  maxStates: 4,
});
const check = (old: LogicalTypeProvider, next: LogicalTypeProvider) =>
  checkLogicalTypeCompat(old, next, context(old.name));

/** A redeclaration of `type` built from scratch (new objects throughout), with some contract fields changed. */
function redeclare<V>(
  type: LogicalType<V, FixedSizeList | FixedSizeBinary>,
  changes: {
    storageType?: FixedSizeList | FixedSizeBinary;
    encodingVersion?: number;
    parameters?: Record<string, string>;
  } = {},
) {
  const common = {
    name: type.name,
    storageType:
      changes.storageType ??
      (type.storageType instanceof FixedSizeBinary
        ? new FixedSizeBinary(16)
        : new FixedSizeList(2, new Field('item', new Float64(), true))),
    encodingVersion: changes.encodingVersion ?? type.encodingVersion,
    description: type.description,
    check: (value: unknown) => (type.isValid(value) ? undefined : 'invalid'),
    toStorage: (value: V) => type.toStorage(value),
    fromStorage: (storage: unknown) => type.fromStorage(storage),
    parse: (literal: string) => type.parse(literal),
    format: (value: V) => type.format(value),
  };
  return changes.parameters === undefined && type.metadata === ''
    ? defineLogicalType({ ...common, metadata: '' })
    : defineLogicalType({ ...common, parameters: changes.parameters ?? { crs: 'OGC:CRS84' } });
}

/** Geo points stored as a Float32 pair: another possible (incompatible) next storage. */
const float32Pair = new FixedSizeList(2, new Field('item', new Float32(), true));

describe('the extension contract across a reload (checkLogicalTypeCompat)', () => {
  it('calls an identical redeclaration compatible', async () => {
    for (const type of [uuidType(), jsonType(), geoPointType(), geoPointType({ version: 2 })] as LogicalTypeProvider[])
      expect(await check(type, type)).toEqual({ type: 'compatible' });
    const again = redeclare(geoPointType());
    expect(again).not.toBe(geoPointType());
    expect(again.storageType).not.toBe(geoPointType().storageType);
    expect(extensionContractDiff(geoPointType(), again)).toEqual([]);
    expect(await check(geoPointType(), again)).toEqual({ type: 'compatible' });
    expect(await check(uuidType(), redeclare(uuidType()))).toEqual({ type: 'compatible' });
  });

  it('calls the Struct<lon, lat> next version incompatible, naming the old and new storage types', async () => {
    const verdict = await check(geoPointType(), geoPointType({ version: 2 }));
    expect(verdict.type).toBe('incompatible');
    const reason = (verdict as { reason: string }).reason;
    expect(reason).toContain("Arrow extension contract of 'baton.geo.point' changed");
    expect(reason).toContain(
      'storage type FixedSizeList[2]<Float64> {item: Float64?} → Struct<{lon:Float64, lat:Float64}> {lon: Float64?, lat: Float64?}',
    );
    expect(reason).toContain('encoding version 1 → 2');
    expect(reason).toContain(
      'metadata "{\\"crs\\":\\"OGC:CRS84\\",\\"encodingVersion\\":1}" → "{\\"crs\\":\\"OGC:CRS84\\",\\"encodingVersion\\":2}"',
    );
  });

  it('calls a change of the child type alone (Float64 → Float32 pair) incompatible', async () => {
    const next = redeclare(geoPointType(), { storageType: float32Pair });
    expect(extensionContractDiff(geoPointType(), next)).toEqual([
      'storage type FixedSizeList[2]<Float64> {item: Float64?} → FixedSizeList[2]<Float32> {item: Float32?}',
    ]);
    expect(await check(geoPointType(), next)).toMatchObject({
      type: 'incompatible',
      reason: expect.stringContaining('FixedSizeList[2]<Float32>'),
    });
  });

  it('calls a metadata change incompatible', async () => {
    const next = redeclare(geoPointType(), { parameters: { crs: 'EPSG:4326' } });
    expect(extensionContractDiff(geoPointType(), next)).toEqual([
      'metadata "{\\"crs\\":\\"OGC:CRS84\\",\\"encodingVersion\\":1}" → "{\\"crs\\":\\"EPSG:4326\\",\\"encodingVersion\\":1}"',
    ]);
    expect((await check(geoPointType(), next)).type).toBe('incompatible');
  });

  it('calls an encoding version change incompatible, also when the metadata string stays ""', async () => {
    const next = redeclare(uuidType(), { encodingVersion: 2 });
    expect(next.metadata).toBe('');
    expect(extensionContractDiff(uuidType(), next)).toEqual(['encoding version 1 → 2']);
    expect(await check(uuidType(), next)).toMatchObject({
      type: 'incompatible',
      reason: expect.stringContaining('encoding version 1 → 2'),
    });
  });
});

describe('in a plugin host', () => {
  const plugin = (version: string, geo: LogicalTypeProvider) =>
    definePlugin({
      name: 'geo-engine',
      version,
      register: (r) => void r.logicalType(uuidType()).logicalType(jsonType()).logicalType(geo),
    });

  it('reloads onto an identical redeclaration and refuses the v3 that changes the geo point storage', async () => {
    await using host = createPluginHost();
    await host.load(plugin('1.0.0', geoPointType()));
    const result = await host.reload(plugin('2.0.0', redeclare(geoPointType())));
    await result.retired;
    expect(host.unleasedProvider('logicalType', 'baton.geo.point')).not.toBe(geoPointType());

    const error: unknown = await host.reload(plugin('3.0.0', geoPointType({ version: 2 }))).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toMatchObject({
      code: 'SCHEMA_INCOMPATIBLE',
      phase: 'compat',
      kind: 'logicalType',
      key: 'baton.geo.point',
    });
    expect((error as Error).message).toContain(
      'storage type FixedSizeList[2]<Float64> {item: Float64?} → Struct<{lon:Float64, lat:Float64}>',
    );
    expect(host.unleasedProvider('logicalType', 'baton.geo.point')?.encodingVersion).toBe(1);
    expect(host.unleasedProvider('logicalType', 'arrow.uuid')).toBe(uuidType());
  });
});
