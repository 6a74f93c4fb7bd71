import type { ReloadError } from '@baton/core';
import { describeValue, invalidValue } from './logicalTypeErrors.js';

/** A point on the WGS 84 ellipsoid in degrees: longitude in [-180, 180], latitude in [-90, 90]. */
export interface GeoPoint {
  readonly lon: number;
  readonly lat: number;
}

/** The coordinate reference system of `baton.geo.point` values (longitude first, WGS 84 degrees). */
export const GEO_POINT_CRS = 'OGC:CRS84';

/** The name of the geo point logical types (`parseWktPoint` errors name it). */
const GEO_POINT_TYPE_NAME = 'baton.geo.point';

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
 * Parses a WKT (or EWKT with `SRID=4326;`) point `POINT(lon lat)` of at most
 * {@link MAX_WKT_POINT_LENGTH} characters, case-insensitive, spaces allowed. Anything else
 * (`POINT EMPTY`, `POINT Z`, other SRIDs, not a string) is an `INVALID_ARGUMENT` `ReloadError`
 * naming what is wrong. Ranges are not checked here.
 */
export function parseWktPoint(literal: string): GeoPoint {
  const fail = (message: string): ReloadError => invalidValue(GEO_POINT_TYPE_NAME, `WKT point: ${message}`);
  if (typeof literal !== 'string') throw fail(`expected a string, not ${describeValue(literal)}`);
  if (literal.length > MAX_WKT_POINT_LENGTH)
    throw fail(`a literal of ${literal.length} characters exceeds the limit of ${MAX_WKT_POINT_LENGTH}`);
  const match = WKT_POINT.exec(literal);
  if (match === null) {
    if (/^\s*(?:SRID\s*=[^;]*;\s*)?POINT\s+EMPTY\s*$/i.test(literal))
      throw fail('POINT EMPTY has no coordinates (use NULL)');
    if (/^\s*(?:SRID\s*=[^;]*;\s*)?POINT\s*(?:ZM|Z|M)\b/i.test(literal))
      throw fail('only 2D points are supported (no Z or M coordinate)');
    throw fail(`expected WKT 'POINT(lon lat)', e.g. 'POINT(13.4 52.52)'`);
  }
  const [, srid, lon, lat] = match;
  if (srid !== undefined && Number(srid) !== 4326)
    throw fail(`only SRID=4326 (WGS 84 longitude/latitude) is supported (got SRID=${srid})`);
  return { lon: Number(lon), lat: Number(lat) };
}

/**
 * The WKT of a point, `POINT(lon lat)`, numbers in shortest round-trip form (`-0` kept). Anything
 * but a valid point (see {@link geoPointProblem}) is `INVALID_ARGUMENT`.
 */
export function formatWktPoint(point: GeoPoint): string {
  const problem = geoPointProblem(point);
  if (problem !== undefined)
    throw invalidValue(GEO_POINT_TYPE_NAME, `formatWktPoint(): ${describeValue(point)} is not a point: ${problem}`);
  return `POINT(${formatNumber(point.lon)} ${formatNumber(point.lat)})`;
}

function formatNumber(value: number): string {
  return Object.is(value, -0) ? '-0' : String(value);
}
