import { Field, Float64, Struct } from 'apache-arrow';
import { defineLogicalType } from './defineLogicalType.js';
import type { LogicalType } from './defineLogicalType.js';
import { GEO_POINT_CRS, MAX_WKT_POINT_LENGTH, formatWktPoint, geoPointProblem, parseWktPoint } from './geoPoint.js';
import type { GeoPoint } from './geoPoint.js';

/** The storage type of `baton.geo.point` v2: `Struct<lon: Float64, lat: Float64>`. */
function geoPointV2StorageType(): Struct<{ lon: Float64; lat: Float64 }> {
  return new Struct([new Field('lon', new Float64(), true), new Field('lat', new Float64(), true)]);
}

/**
 * The next version of `baton.geo.point` (encoding version 2, `geoPointType({ version: 2 })`): the
 * same values and literals as version 1, stored as `Struct<lon: Float64, lat: Float64>` (separated layout) instead of an
 * interleaved pair. A fully working type, and the example of an incompatible redeclaration: it
 * changes the storage type, encoding version and metadata, so a reload from version 1 to it is
 * refused (columns written as pairs would be misread). A new name or a data migration is the way
 * to adopt it.
 */
export const geoPointV2: LogicalType<GeoPoint, Struct<{ lon: Float64; lat: Float64 }>, GeoPoint> = defineLogicalType({
  name: 'baton.geo.point',
  storageType: geoPointV2StorageType(),
  encodingVersion: 2,
  parameters: { crs: GEO_POINT_CRS },
  description: 'a WGS 84 point { lon, lat } in degrees',
  maxLiteralLength: MAX_WKT_POINT_LENGTH,
  check: geoPointProblem,
  toStorage: (point): GeoPoint => ({ lon: point.lon, lat: point.lat }),
  fromStorage(storage) {
    if (typeof storage !== 'object' || storage === null) throw new Error('expected a { lon, lat } struct row');
    const { lon, lat } = storage as Partial<Record<'lon' | 'lat', unknown>>;
    if (typeof lon !== 'number' || typeof lat !== 'number')
      throw new Error(`expected two numbers (got ${typeof lon} and ${typeof lat}; a null coordinate?)`);
    return { lon, lat };
  },
  parse: parseWktPoint,
  format: formatWktPoint,
});
