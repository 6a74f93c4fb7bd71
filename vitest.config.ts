import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';
import shared from './vitest.shared.js';

/**
 * The fast inner loop: `npm run test:unit` (or `npx vitest` at the root, in watch mode) runs the quick tests
 * of every workspace as one vitest run with a project per workspace (`--project core` runs one). `npm test`
 * still runs every test, per workspace, through turbo (each workspace's own vitest.config.ts).
 *
 * Left out here, and run by `npm test` only: test files that start child processes, crash, fuzz and
 * reliability trials, and those that take a second or more alone (long properties, large inputs); each
 * workspace's instruments folder is all trials. Timings measured with `npx vitest run` per workspace on 2 cores.
 * A path below that no longer exists is reported on start: keep the list current when moving tests.
 * Properties without an explicit `numRuns` run 20 cases here instead of 100 (vitest.unit.setup.ts).
 */
const slow: Record<string, string[]> = {
  'packages/core': [
    'src/cli/inspectBounds.test.ts', // child processes, 19 s
    'src/cli/inspect.test.ts', // child processes, 14 s
    'src/cli/cliUsage.test.ts', // child processes, 4 s
    'src/cli/cli.test.ts', // 2 s
    'src/cli/keys.test.ts', // child processes
    'src/loader/runtimeTamper.test.ts', // 8 s
    'src/loader/manifestRules.test.ts', // 4.5 s
    'src/loader/fsFailures.test.ts', // 3 s
    'src/host/reload.property.test.ts', // the long reload property
  ],
  'packages/kinds': [
    'src/codec/decodeAmplification.test.ts', // child processes, 8 s
    'src/cdc/fileCdcTail.test.ts', // 6.6 s
    'src/cdc/fileCdcLock.test.ts', // child processes, 6 s
    'src/cdc/sinkArrowPayload.test.ts', // 6 s
    'src/cdc/fileCdcCrash.test.ts', // crash trials, 5.5 s
    'src/cdc/fileCdcChain.test.ts', // 5.3 s
    'src/crdt/orSetRepack.test.ts', // 3.5 s
    'src/crdt/orSetMerge.test.ts', // 2.8 s
  ],
  'packages/testing': [
    'src/harness/reloadHarness.test.ts', // 4.5 s
    'src/nodeTestRunner.test.ts', // a child process, 3.5 s
    'src/dogfood/cdcOutputs.test.ts', // 2.9 s
    'src/readme/rootReadme.test.ts', // tsc and child processes
    'src/readme/packageReadmes.test.ts', // child processes, DuckDB and PostgreSQL
    'src/readme/testingReadme.test.ts', // tsc and a child vitest, 21 s
    'src/readme/shellReadme.test.ts', // the baton CLI in child processes, 20 s
  ],
  'packages/duckdb': [
    'src/engine/queryVersions.test.ts', // queries of 40k–120k rows across reloads
    'src/state/crdtStateTable.test.ts', // several seconds
    'src/engine/databaseLock.test.ts', // a second process
  ],
  examples: [
    'src/demo/scenario.test.ts', // the demo against a PostgreSQL server the file starts
    'src/main.test.ts', // npm start in a child process, with an embedded PostgreSQL
  ],
  // packages/postgres and packages/fleet are left out: every one of their tests needs a PostgreSQL server.
};

const root = import.meta.dirname;
for (const [dir, files] of Object.entries(slow)) {
  for (const file of files) {
    if (!existsSync(join(root, dir, file))) console.warn(`vitest.config.ts: slow test ${dir}/${file} no longer exists`);
  }
}

export default defineConfig({
  ...shared,
  test: {
    ...shared.test,
    reporters: ['default'],
    outputFile: {},
    projects: Object.entries(slow).map(([dir, files]) => ({
      extends: true as const,
      test: {
        name: dir.replace(/^packages\//, ''),
        root: join(root, dir),
        setupFiles: [join(root, 'vitest.unit.setup.ts')],
        exclude: ['**/node_modules/**', '**/dist/**', ...files],
      },
    })),
  },
});
