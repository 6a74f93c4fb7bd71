/** A point on the WGS 84 ellipsoid in degrees: longitude in [-180, 180], latitude in [-90, 90]. */
export interface GeoPoint {
  readonly lon: number;
  readonly lat: number;
}

/** The coordinate reference system of `baton.geo.point` values (longitude first, WGS 84 degrees). */
export const GEO_POINT_CRS = 'OGC:CRS84';

/** Longest WKT literal a geo point type parses. */
export const MAX_WKT_POINT_LENGTH = 256;

/** What makes `value` not a {@link GeoPoint}, or `undefined` when it is one. */
export function geoPointProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'expected an object { lon, lat }';
  const keys = Object.keys(value);
  const extra = keys.filter((key) => key !== 'lon' && key !== 'lat');
  if (extra.length > 0) return `expected only 'lon' and 'lat' (got also ${extra.map((key) => `'${key}'`).join(', ')})`;
  const { lon, lat } = value as Partial<Record<'lon' | 'lat', unknown>>;
  return coordinateProblem('lon', lon, 180) ?? coordinateProblem('lat', lat, 90);
}

function coordinateProblem(name: string, value: unknown, limit: number): string | undefined {
  if (typeof value !== 'number') return `'${name}' must be a number (got ${value === null ? 'null' : typeof value})`;
  if (!Number.isFinite(value)) return `'${name}' must be finite (got ${value})`;
  if (value < -limit || value > limit) return `'${name}' ${value} is outside [-${limit}, ${limit}]`;
  return undefined;
}

/**
 * A point from its storage pair (a `Float64Array`, an array, or the child Vector a
 * `FixedSizeList` column yields): exactly two numbers, longitude first.
 */
export function geoPointFromPair(storage: unknown): GeoPoint {
  const pair = storage as { readonly length?: unknown; get?(index: number): unknown; [index: number]: unknown } | null;
  if (typeof pair !== 'object' || pair === null || pair.length !== 2) throw new Error('expected a pair of coordinates');
  const read = (i: number): unknown => (typeof pair.get === 'function' ? pair.get(i) : pair[i]);
  const lon = read(0);
  const lat = read(1);
  if (typeof lon !== 'number' || typeof lat !== 'number')
    throw new Error(`expected two numbers (got ${typeof lon} and ${typeof lat}; a null coordinate?)`);
  return { lon, lat };
}

const NUMBER = String.raw`[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?`;
const WKT_POINT = new RegExp(
  String.raw`^\s*(?:SRID\s*=\s*(\d{1,9})\s*;\s*)?POINT\s*\(\s*(${NUMBER})\s+(${NUMBER})\s*\)\s*$`,
  'i',
);

/**
 * Parses a WKT (or EWKT with `SRID=4326;`) point `POINT(lon lat)`, case-insensitive, spaces
 * allowed. Throws, naming what is wrong, on anything else (`POINT EMPTY`, `POINT Z`, other SRIDs).
 * Ranges are not checked here.
 */
export function parseWktPoint(literal: string): GeoPoint {
  const match = WKT_POINT.exec(literal);
  if (match === null) {
    if (/^\s*(?:SRID\s*=[^;]*;\s*)?POINT\s+EMPTY\s*$/i.test(literal))
      throw new Error('POINT EMPTY has no coordinates (use NULL)');
    if (/^\s*(?:SRID\s*=[^;]*;\s*)?POINT\s*(?:ZM|Z|M)\b/i.test(literal))
      throw new Error('only 2D points are supported (no Z or M coordinate)');
    throw new Error(`expected WKT 'POINT(lon lat)', e.g. 'POINT(13.4 52.52)'`);
  }
  const [, srid, lon, lat] = match;
  if (srid !== undefined && Number(srid) !== 4326)
    throw new Error(`only SRID=4326 (WGS 84 longitude/latitude) is supported (got SRID=${srid})`);
  return { lon: Number(lon), lat: Number(lat) };
}

/** The WKT of a point, `POINT(lon lat)`, numbers in shortest round-trip form (`-0` kept). */
export function formatWktPoint(point: GeoPoint): string {
  return `POINT(${formatNumber(point.lon)} ${formatNumber(point.lat)})`;
}

function formatNumber(value: number): string {
  return Object.is(value, -0) ? '-0' : String(value);
}
