import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { readmeSnippet, runSnippet } from './readmeSnippet.js';

const readme = (pkg: string): string => fileURLToPath(new URL(`../../../${pkg}/README.md`, import.meta.url));

test('the DuckDB README example runs and prints what the README says', { timeout: 60_000 }, async () => {
  const { code, prints } = await readmeSnippet(readme('duckdb'), 'duckdb');
  expect(prints).toBeDefined();
  expect(await runSnippet('duckdb', code)).toBe(prints);
});

test('the PostgreSQL README server example runs and prints what the README says', { timeout: 120_000 }, async () => {
  const { code, prints } = await readmeSnippet(readme('postgres'), 'server');
  expect(prints).toBeDefined();
  expect(await runSnippet('server', code)).toBe(prints);
});

test(
  'the PostgreSQL README change-source example runs and prints what the README says',
  { timeout: 120_000 },
  async () => {
    const { code, prints } = await readmeSnippet(readme('postgres'), 'changes');
    expect(prints).toBeDefined();
    expect(await runSnippet('changes', code)).toBe(prints);
  },
);

test('the DuckDB README vector-search example runs and prints what the README says', { timeout: 60_000 }, async () => {
  const { code, prints } = await readmeSnippet(readme('duckdb'), 'search');
  expect(prints).toBeDefined();
  expect(await runSnippet('search', code)).toBe(prints);
});
