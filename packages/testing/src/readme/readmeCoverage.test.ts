import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { readmeWorkspaces } from './readmeSnippet.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const readmes = ['README.md', ...readmeWorkspaces.map((w) => `${w}/README.md`)];

/**
 * Code blocks not run yet, by README and first line: fragments that need a program around them.
 * Each one here is a debt; a block not marked `<!-- example: … -->` and not listed fails the test.
 */
const NOT_RUN_YET = new Set<string>([]);

/**
 * Shell blocks no README test runs as a block, by README and first line, and what runs them instead.
 * A shell block neither marked `<!-- example: … -->` (run by shellReadme.test.ts) nor listed here fails.
 */
const SHELL_RUN_ELSEWHERE = new Map<string, string>([
  ['README.md: npm ci && npm start   # the hot-reload demo', 'CI (.ci/run) runs both commands on a fresh clone'],
  [
    'packages/testing/README.md: npm install --save-dev @baton/testing fast-check apache-arrow',
    "the workspace's own packages, installed by npm ci",
  ],
  ['examples/README.md: sudo apt-get install chromium', 'the browser test installs it itself (src/demo/chromium.ts)'],
  [
    'examples/README.md: npm start -- --postgres-url postgres://baton:secret@db.example:5432/demo',
    'scenario.test.ts runs the demo on a server it did not start (postgresUrl)',
  ],
]);

test('every shell block of a README is run: by shellReadme.test.ts as an example, or as listed', async () => {
  const unmarked: string[] = [];
  for (const readme of readmes) {
    const lines = (await readFile(root + readme, 'utf8')).split('\n');
    lines.forEach((line, i) => {
      if (!/^```(sh|bash|shell|console)$/.test(line)) return;
      if (lines[i - 2]?.startsWith('<!-- example: ') !== true) unmarked.push(`${readme}: ${lines[i + 1] ?? ''}`);
    });
  }
  expect(unmarked.filter((block) => !SHELL_RUN_ELSEWHERE.has(block))).toEqual([]);
  expect([...SHELL_RUN_ELSEWHERE.keys()].filter((block) => !unmarked.includes(block))).toEqual([]);
});

test('every TypeScript or JavaScript block of a README is an example a test runs (or a listed debt)', async () => {
  const unmarked: string[] = [];
  for (const readme of readmes) {
    const lines = (await readFile(root + readme, 'utf8')).split('\n');
    lines.forEach((line, i) => {
      if (line !== '```ts' && line !== '```js') return;
      const marked = lines[i - 2]?.startsWith('<!-- example: ') === true;
      if (!marked) unmarked.push(`${readme}: ${lines[i + 1] ?? ''}`);
    });
  }
  expect(unmarked.filter((block) => !NOT_RUN_YET.has(block))).toEqual([]);
  // A debt paid (its block now marked, or gone) leaves the list too.
  expect([...NOT_RUN_YET].filter((block) => !unmarked.includes(block))).toEqual([]);
});
