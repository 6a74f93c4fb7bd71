import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { readmeSnippet, runSnippet } from './readmeSnippet.js';

const readme = (pkg: string): string => fileURLToPath(new URL(`../../../${pkg}/README.md`, import.meta.url));

// Each example runs as a module of this package and must print what its README says it prints.
test.each([
  ['duckdb', 'duckdb'],
  ['duckdb', 'search'],
  ['postgres', 'server'],
  ['postgres', 'changes'],
] as const)(
  'the %s README example %s runs and prints what the README says',
  { timeout: 120_000 },
  async (pkg, name) => {
    const { code, prints } = await readmeSnippet(readme(pkg), name);
    expect(prints).toBeDefined();
    expect(await runSnippet(name, code)).toBe(prints);
  },
);
