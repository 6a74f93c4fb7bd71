import { fc, test } from '@fast-check/vitest';
import { Field, FixedSizeList, Float64, Struct, makeData, makeVector } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import type { LogicalType } from './defineLogicalType.js';
import type { GeoPoint } from './geoPoint.js';
import { geoPointType } from './geoPointType.js';
import { valuesOf, vectorOf } from './logicalVector.js';

const code = (code: string, message: string): Error =>
  expect.objectContaining({ code, key: 'baton.geo.point', message: expect.stringContaining(message) }) as Error;
const lon = fc.double({ min: -180, max: 180, noNaN: true });
const lat = fc.double({ min: -90, max: 90, noNaN: true });
const point = fc.record({ lon, lat });

describe('baton.geo.point v1', () => {
  it('is stored as FixedSizeList[2]<item: Float64> with a versioned metadata document', () => {
    expect(geoPointType()).toMatchObject({
      name: 'baton.geo.point',
      encodingVersion: 1,
      metadata: '{"crs":"OGC:CRS84","encodingVersion":1}',
    });
    expect(geoPointType().storageType).toEqual(new FixedSizeList(2, new Field('item', new Float64(), true)));
  });

  it('parses WKT and EWKT points and formats WKT', () => {
    expect(geoPointType().parse('POINT(13.4 52.52)')).toEqual({ lon: 13.4, lat: 52.52 });
    expect(geoPointType().parse('  point ( -1.5e1   +.5 ) ')).toEqual({ lon: -15, lat: 0.5 });
    expect(geoPointType().parse('SRID=4326;POINT(180 -90)')).toEqual({ lon: 180, lat: -90 });
    expect(geoPointType().format({ lon: 13.4, lat: 52.52 })).toBe('POINT(13.4 52.52)');
    expect(geoPointType().format({ lon: -0, lat: 1e-7 })).toBe('POINT(-0 1e-7)');
  });

  it('rejects bad literals with INVALID_ARGUMENT naming what is wrong', () => {
    const cases: [string, string][] = [
      ['POINT EMPTY', 'POINT EMPTY has no coordinates (use NULL)'],
      ['POINT Z (1 2 3)', 'only 2D points are supported'],
      ['SRID=3857;POINT(1 2)', 'only SRID=4326'],
      ['POINT(1)', "expected WKT 'POINT(lon lat)'"],
      ['POINT(1 2 3)', "expected WKT 'POINT(lon lat)'"],
      ['LINESTRING(1 2, 3 4)', "expected WKT 'POINT(lon lat)'"],
      ['POINT(1,2)', "expected WKT 'POINT(lon lat)'"],
      ['POINT(NaN 2)', "expected WKT 'POINT(lon lat)'"],
      ['POINT(181 0)', "'lon' 181 is outside [-180, 180]"],
      ['POINT(0 -90.5)', "'lat' -90.5 is outside [-90, 90]"],
      ['POINT(1e999 0)', "'lon' must be finite (got Infinity)"],
    ];
    for (const [literal, message] of cases)
      expect(() => geoPointType().parse(literal), literal).toThrow(code('INVALID_ARGUMENT', message));
    expect(() => geoPointType().parse(`POINT(${'1'.repeat(300)} 0)`)).toThrow(
      code('INVALID_ARGUMENT', 'exceeds the limit of 256'),
    );
  });

  it('rejects bad values with INVALID_ARGUMENT', () => {
    expect(() => geoPointType().toStorage({ lon: 0, lat: 91 })).toThrow(
      code('INVALID_ARGUMENT', "'lat' 91 is outside [-90, 90]"),
    );
    expect(() => geoPointType().toStorage({ lon: NaN, lat: 0 })).toThrow(
      code('INVALID_ARGUMENT', "'lon' must be finite (got NaN)"),
    );
    expect(() => geoPointType().toStorage({ lon: '1', lat: 0 } as never)).toThrow(
      code('INVALID_ARGUMENT', "'lon' must be a number (got string)"),
    );
    expect(() => geoPointType().toStorage({ lon: 1, lat: 2, alt: 3 } as never)).toThrow(
      code('INVALID_ARGUMENT', "expected only 'lon' and 'lat' (got also 'alt')"),
    );
    expect(() => geoPointType().format([1, 2] as never)).toThrow(
      code('INVALID_ARGUMENT', 'expected an object { lon, lat }'),
    );
    expect(() => vectorOf(geoPointType(), [{ lon: 1, lat: 2 }, { lat: 2 } as never])).toThrow(
      code(
        'INVALID_ARGUMENT',
        "row 1: invalid baton.geo.point value an object: 'lon' must be a number (got undefined)",
      ),
    );
  });

  it('refuses storage that holds no point with CORRUPT_INPUT', () => {
    expect(() => geoPointType().fromStorage(new Float64Array(3))).toThrow(
      code('CORRUPT_INPUT', 'expected a pair of coordinates'),
    );
    expect(() => geoPointType().fromStorage([1, null])).toThrow(code('CORRUPT_INPUT', 'a null coordinate?'));
    expect(() => geoPointType().fromStorage(Float64Array.of(0, 95))).toThrow(
      code('CORRUPT_INPUT', "holds an invalid baton.geo.point value: 'lat' 95 is outside"),
    );
    // A column whose valid slot has a null child value.
    const child = makeData({
      type: new Float64(),
      length: 2,
      nullCount: 1,
      nullBitmap: Uint8Array.of(0b01),
      data: Float64Array.of(1, 0),
    });
    const column = makeVector(makeData({ type: geoPointType().storageType, length: 1, nullCount: 0, child }));
    expect(() => valuesOf(geoPointType(), column)).toThrow(code('CORRUPT_INPUT', 'row 0: cannot read storage value'));
  });

  it('stores a column interleaved, longitude first', () => {
    const vector = vectorOf(geoPointType(), [{ lon: 1, lat: 2 }, null, { lon: -3, lat: 4 }]);
    expect(vector.nullCount).toBe(1);
    const child = vector.data[0]!.children[0]!;
    const coordinates = (child.values as Float64Array).subarray(0, 6);
    expect([coordinates[0], coordinates[1], coordinates[4], coordinates[5]]).toEqual([1, 2, -3, 4]);
    expect(valuesOf(geoPointType(), vector)).toEqual([{ lon: 1, lat: 2 }, null, { lon: -3, lat: 4 }]);
  });
});

describe('geoPointType options', () => {
  it('picks the encoding version (1 by default) and refuses another version or an unknown option', () => {
    expect(geoPointType().encodingVersion).toBe(1);
    expect(geoPointType({ version: 1 })).toBe(geoPointType());
    expect(geoPointType({ version: 2 }).encodingVersion).toBe(2);
    expect(() => geoPointType({ version: 3 } as never)).toThrow(
      code('INVALID_ARGUMENT', 'version must be 1 or 2, not 3'),
    );
    expect(() => geoPointType({ encodingVersion: 2 } as never)).toThrow(
      code('INVALID_ARGUMENT', "unknown option(s) 'encodingVersion'"),
    );
    expect(() => geoPointType(null as never)).toThrow(code('INVALID_ARGUMENT', 'options must be an object'));
  });
});

describe('baton.geo.point v2 (the incompatible next version)', () => {
  it('is stored as Struct<lon, lat> with encoding version 2', () => {
    expect(geoPointType({ version: 2 })).toMatchObject({
      name: 'baton.geo.point',
      encodingVersion: 2,
      metadata: '{"crs":"OGC:CRS84","encodingVersion":2}',
    });
    expect(geoPointType({ version: 2 }).storageType).toEqual(
      new Struct([new Field('lon', new Float64(), true), new Field('lat', new Float64(), true)]),
    );
  });

  it('has the same values and literals, and refuses bad struct rows', () => {
    const vector = vectorOf(geoPointType({ version: 2 }), [{ lon: 10, lat: -20 }, null]);
    expect(vector.type).toBeInstanceOf(Struct);
    expect(valuesOf(geoPointType({ version: 2 }), vector)).toEqual([{ lon: 10, lat: -20 }, null]);
    expect(geoPointType({ version: 2 }).parse('POINT(10 -20)')).toEqual({ lon: 10, lat: -20 });
    expect(() => geoPointType({ version: 2 }).fromStorage({ lon: 1 })).toThrow(
      code('CORRUPT_INPUT', 'a null coordinate?'),
    );
    expect(() => geoPointType({ version: 2 }).fromStorage(5)).toThrow(
      code('CORRUPT_INPUT', 'expected a { lon, lat } struct row'),
    );
    expect(() => valuesOf(geoPointType({ version: 2 }), vectorOf(geoPointType(), [{ lon: 1, lat: 2 }]))).toThrow(
      code('CORRUPT_INPUT', "'baton.geo.point' columns are stored as Struct"),
    );
  });
});

const bothVersions: LogicalType<GeoPoint>[] = [geoPointType(), geoPointType({ version: 2 })];

test.prop([point], { numRuns: 300 })('points round-trip storage and WKT (both versions)', (p) => {
  for (const type of bothVersions) {
    expect(type.fromStorage(type.toStorage(p))).toEqual(p);
    expect(type.parse(type.format(p))).toEqual(p);
  }
});

test.prop([fc.array(fc.option(point, { nil: null }), { maxLength: 40 })], { numRuns: 50 })(
  'columns round-trip through vectorOf / valuesOf (both versions)',
  (points) => {
    for (const type of bothVersions) {
      expect(valuesOf(type, vectorOf(type, points))).toEqual(points);
    }
  },
);

test.prop([fc.double(), fc.double()], { numRuns: 200 })(
  'any pair of doubles is accepted exactly when it is in range',
  (x, y) => {
    const inRange = Number.isFinite(x) && Number.isFinite(y) && Math.abs(x) <= 180 && Math.abs(y) <= 90;
    expect(geoPointType().isValid({ lon: x, lat: y })).toBe(inRange);
    if (inRange) expect(geoPointType().fromStorage(Float64Array.of(x, y))).toEqual({ lon: x, lat: y });
    else
      expect(() => geoPointType().fromStorage(Float64Array.of(x, y))).toThrow(
        code('CORRUPT_INPUT', 'holds an invalid'),
      );
  },
);
