import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { readmeSnippet, runSnippet } from './readmeSnippet.js';

const coreReadme = fileURLToPath(new URL('../../../core/README.md', import.meta.url));

test('the dispatcher example of the core README runs and prints what the README says', async () => {
  const { code, prints } = await readmeSnippet(coreReadme, 'dispatcher');
  expect(prints).toBeDefined();
  expect(await runSnippet('dispatcher', code)).toBe(prints);
});
