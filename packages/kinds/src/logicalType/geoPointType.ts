import { Field, FixedSizeList, Float64 } from 'apache-arrow';
import { defineLogicalType } from './defineLogicalType.js';
import type { LogicalType } from './defineLogicalType.js';
import {
  GEO_POINT_CRS,
  MAX_WKT_POINT_LENGTH,
  formatWktPoint,
  geoPointFromPair,
  geoPointProblem,
  parseWktPoint,
} from './geoPoint.js';
import type { GeoPoint } from './geoPoint.js';

/** The storage type of `baton.geo.point` v1: two Float64 per point, longitude first, child field `item`. */
export function geoPointStorageType(): FixedSizeList<Float64> {
  return new FixedSizeList(2, new Field('item', new Float64(), true));
}

/**
 * `baton.geo.point`, encoding version 1: a WGS 84 point `{ lon, lat }` in degrees (longitude in
 * [-180, 180], latitude in [-90, 90], finite), stored as `FixedSizeList[2]<item: Float64>`
 * (interleaved, longitude first, like GeoArrow's interleaved layout but with Arrow's default child
 * name `item`, nullable as arrow-js builders make it; a valid point never has a null coordinate). Metadata:
 * `{"crs":"OGC:CRS84","encodingVersion":1}`. Literals are WKT `POINT(lon lat)` (EWKT
 * `SRID=4326;POINT(…)` too); `format()` writes `POINT(lon lat)`.
 */
export const geoPointType: LogicalType<GeoPoint, FixedSizeList<Float64>, readonly [number, number]> = defineLogicalType(
  {
    name: 'baton.geo.point',
    storageType: geoPointStorageType(),
    encodingVersion: 1,
    parameters: { crs: GEO_POINT_CRS },
    description: 'a WGS 84 point { lon, lat } in degrees',
    maxLiteralLength: MAX_WKT_POINT_LENGTH,
    check: geoPointProblem,
    toStorage: (point): readonly [number, number] => [point.lon, point.lat],
    fromStorage: geoPointFromPair,
    parse: parseWktPoint,
    format: formatWktPoint,
  },
);
