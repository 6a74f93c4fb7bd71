import type { DuckDBInstance } from '@duckdb/node-api';
import type { Place } from './places.js';

/**
 * Creates the DuckDB table `places (id, name, region, lon, lat)` and appends the rows. Row `i` of the
 * vector index is the place with id `i`, so a query joins `baton_search(...)` on `places.id = row`.
 */
export async function loadPlaces(instance: DuckDBInstance, places: readonly Place[]): Promise<void> {
  const connection = await instance.connect();
  try {
    await connection.run(
      'CREATE OR REPLACE TABLE places (id INTEGER PRIMARY KEY, name VARCHAR, region VARCHAR, lon DOUBLE, lat DOUBLE)',
    );
    const appender = await connection.createAppender('places');
    for (const place of places) {
      appender.appendInteger(place.id);
      appender.appendVarchar(place.name);
      appender.appendVarchar(place.name.slice(0, place.name.lastIndexOf(' ')));
      appender.appendDouble(place.location.lon);
      appender.appendDouble(place.location.lat);
      appender.endRow();
    }
    appender.closeSync();
  } finally {
    connection.disconnectSync();
  }
}
