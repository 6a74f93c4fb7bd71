// The fast inner loop only (vitest.config.ts at the root): properties that take fast-check's default number
// of runs take 20 instead of 100. `npm test` runs each workspace's own config, with the full default.
import fc from 'fast-check';

fc.configureGlobal({ numRuns: 20 });
