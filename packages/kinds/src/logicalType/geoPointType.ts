import { Field, FixedSizeList, Float64 } from 'apache-arrow';
import type { Struct } from 'apache-arrow';
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
import { geoPointV2 } from './geoPointV2Type.js';
import { describeValue, invalidValue } from './logicalTypeErrors.js';

const GEO_POINT = 'baton.geo.point';

/** The storage type of `baton.geo.point` v1: two Float64 per point, longitude first, child field `item`. */
function geoPointStorageType(): FixedSizeList<Float64> {
  return new FixedSizeList(2, new Field('item', new Float64(), true));
}

/**
 * `baton.geo.point`, encoding version 1 (what `geoPointType()` returns): a WGS 84 point `{ lon, lat }` in degrees (longitude in
 * [-180, 180], latitude in [-90, 90], finite), stored as `FixedSizeList[2]<item: Float64>`
 * (interleaved, longitude first, like GeoArrow's interleaved layout but with Arrow's default child
 * name `item`, nullable as arrow-js builders make it; a valid point never has a null coordinate). Metadata:
 * `{"crs":"OGC:CRS84","encodingVersion":1}`. Literals are WKT `POINT(lon lat)` (EWKT
 * `SRID=4326;POINT(…)` too); `format()` writes `POINT(lon lat)`.
 */
const geoPointV1: LogicalType<GeoPoint, FixedSizeList<Float64>, readonly [number, number]> = defineLogicalType({
  name: GEO_POINT,
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
});

/** Options of {@link geoPointType}. */
export interface GeoPointTypeOptions {
  /**
   * The encoding version (default 1): 1 stores a point as `FixedSizeList[2]<item: Float64>`
   * (longitude first), 2 as `Struct<lon: Float64, lat: Float64>`. Same name, values and literals;
   * the two are incompatible (a reload from one to the other is refused).
   */
  readonly version?: 1 | 2;
}

/**
 * The `baton.geo.point` logical type: a WGS 84 point `{ lon, lat }` in degrees (longitude in
 * [-180, 180], latitude in [-90, 90], finite); literals are WKT `POINT(lon lat)` (EWKT
 * `SRID=4326;POINT(…)` too) and `format()` writes `POINT(lon lat)`. Metadata:
 * `{"crs":"OGC:CRS84","encodingVersion":<version>}`.
 *
 * - `version: 1` (default): stored as `FixedSizeList[2]<item: Float64>` (interleaved, longitude
 *   first, like GeoArrow's interleaved layout but with Arrow's default child name `item`).
 * - `version: 2`: stored as `Struct<lon: Float64, lat: Float64>` (separated layout). A fully working
 *   type, and the example of an incompatible redeclaration: it changes the storage type, encoding
 *   version and metadata, so a reload from version 1 to it is refused (columns written as pairs would
 *   be misread). A new name or a data migration is the way to adopt it.
 *
 * Logical types are immutable: each version's type is one shared object. Wrong options (not an
 * object, a version other than 1 or 2) are `INVALID_ARGUMENT`.
 */
export function geoPointType(
  options?: GeoPointTypeOptions & { readonly version?: 1 },
): LogicalType<GeoPoint, FixedSizeList<Float64>, readonly [number, number]>;
export function geoPointType(
  options: GeoPointTypeOptions & { readonly version: 2 },
): LogicalType<GeoPoint, Struct<{ lon: Float64; lat: Float64 }>, GeoPoint>;
export function geoPointType(
  options?: GeoPointTypeOptions,
):
  | LogicalType<GeoPoint, FixedSizeList<Float64>, readonly [number, number]>
  | LogicalType<GeoPoint, Struct<{ lon: Float64; lat: Float64 }>, GeoPoint>;
export function geoPointType(options?: GeoPointTypeOptions): AnyGeoPointType {
  if (options !== undefined && (typeof options !== 'object' || options === null))
    throw invalidValue(GEO_POINT, `geoPointType: options must be an object (got ${describeValue(options)})`);
  const given: GeoPointTypeOptions = options ?? {};
  const unknown = Object.keys(given).filter((key) => key !== 'version');
  if (unknown.length > 0)
    throw invalidValue(
      GEO_POINT,
      `geoPointType: unknown option(s) ${unknown.map((key) => `'${key}'`).join(', ')} (known: version)`,
    );
  const version: unknown = given.version ?? 1;
  if (version === 1) return geoPointV1;
  if (version === 2) return geoPointV2;
  throw invalidValue(
    GEO_POINT,
    `geoPointType: version must be 1 or 2, not ${typeof version === 'number' ? version : describeValue(version)}`,
  );
}

/** Either version of the geo point type. */
type AnyGeoPointType =
  | LogicalType<GeoPoint, FixedSizeList<Float64>, readonly [number, number]>
  | LogicalType<GeoPoint, Struct<{ lon: Float64; lat: Float64 }>, GeoPoint>;
