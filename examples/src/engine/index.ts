/**
 * The example engine (DuckDB queries, a PostgreSQL CDC sink, plugins reloaded under load) and its
 * data helpers, also used by the project's own instruments: `@baton/examples/engine`.
 */
import { fileURLToPath } from 'node:url';

export { Engine } from './engine.js';
export type { EngineEnv, EngineOptions } from './engine.js';
export { longitudeByRegion, nearestPlaces } from './queries.js';
export type { QueryAnswer } from './queries.js';
export { placesTable, queryBatch, randomPlaces } from './places.js';
export type { Place } from './places.js';
export { Random } from './random.js';
export { pluginModules } from './pluginModules.js';

/** The directory of the example plugins (`geo-search-v1` … `v3`), as source artifacts to sign. */
export const pluginsDirectory = fileURLToPath(new URL('../../plugins', import.meta.url));
