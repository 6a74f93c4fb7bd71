/**
 * The example engine host and its data helpers, for the project's own instruments (crash trials,
 * reliability trials) that drive the same engine the demo runs: `@baton/examples/engine`.
 */
import { fileURLToPath } from 'node:url';

export { Engine } from './engine.js';
export { placesTable, queryBatch, randomPlaces } from './places.js';
export { Random } from './random.js';

/** The directory of the example plugins (`geo-search-v1` … `v3`), as source artifacts to sign. */
export const pluginsDirectory = fileURLToPath(new URL('../../plugins', import.meta.url));
