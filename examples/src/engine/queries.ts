import type { BatonConnection } from '@baton/duckdb';
import type { ManagedIndex } from '@baton/core';
import { queryBatch } from './places.js';

/** What one query returned, and which plugin versions computed its rows. */
export interface QueryAnswer {
  readonly rows: number;
  /** The distinct values of `plugin_version(...)` over its rows: more than one means a mixed query. */
  readonly versions: ReadonlySet<string>;
  /** A result the query checked against DuckDB's own computation and found wrong (undefined: right). */
  readonly wrong?: string;
}

/**
 * The `k` places nearest to each of `vectors` (the vector index, read through `baton_search`),
 * with their names through the plugin's `lower` and the version that computed each row.
 */
export async function nearestPlaces(
  connection: BatonConnection,
  index: ManagedIndex,
  vectors: readonly Float32Array[],
  k: number,
  dim: number,
): Promise<QueryAnswer> {
  const reader = await connection.runAndReadAll(
    `SELECT s.query, s.distance, plugin_lower(p.name) AS name, plugin_version(p.id) AS version
     FROM baton_search('nearest') s JOIN places p ON p.id = s.row
     ORDER BY s.query, s.distance`,
    undefined,
    { searches: { nearest: { index, query: queryBatch(vectors, dim), k } } },
  );
  const rows = reader.getRowObjects();
  const wrong = rows.find((row) => String(row['name']) !== String(row['name']).toLowerCase());
  return {
    rows: rows.length,
    versions: new Set(rows.map((row) => String(row['version']))),
    ...(rows.length !== vectors.length * k ? { wrong: `${rows.length} rows, not ${vectors.length * k}` } : {}),
    ...(wrong ? { wrong: `plugin_lower gave ${String(wrong['name'])}` } : {}),
  };
}

/**
 * Longitudes summed per region with the plugin's `sum` (over a slice of the places), checked
 * against DuckDB's own `sum`, with the version that computed each row.
 */
export async function longitudeByRegion(connection: BatonConnection, slice: number): Promise<QueryAnswer> {
  const reader = await connection.runAndReadAll(
    `SELECT region, plugin_sum(list(lon)) AS total, sum(lon) AS expected,
            min(plugin_version(id)) AS first, max(plugin_version(id)) AS last
     FROM places WHERE id % 8 = $1 GROUP BY region ORDER BY region`,
    [slice % 8],
  );
  const rows = reader.getRowObjects();
  const versions = new Set(rows.flatMap((row) => [String(row['first']), String(row['last'])]));
  const off = rows.find(
    (row) => Math.abs(Number(row['total']) - Number(row['expected'])) > 1e-6 * (1 + Math.abs(Number(row['expected']))),
  );
  return {
    rows: rows.length,
    versions,
    ...(off ? { wrong: `plugin_sum ${String(off['total'])} ≠ sum ${String(off['expected'])}` } : {}),
  };
}
