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
