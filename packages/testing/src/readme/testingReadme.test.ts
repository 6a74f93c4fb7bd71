import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';
import * as testing from '../index.js';
import { readmeSnippet, runSnippet } from './readmeSnippet.js';

const readme = fileURLToPath(new URL('../../README.md', import.meta.url));
const testingRoot = fileURLToPath(new URL('../../', import.meta.url));
const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');
const vitest = join(dirname(require.resolve('vitest/package.json')), 'vitest.mjs');
const run = promisify(execFile);

/**
 * The examples of this package's README and how each runs: as a vitest file of a user's project,
 * or as a script whose output the README shows after it.
 */
const examples = {
  crdt: 'vitest',
  index: 'vitest',
  cdc: 'vitest',
  logicalType: 'vitest',
  decoder: 'vitest',
  harness: 'vitest',
  faults: 'vitest',
  counterexample: 'script',
} as const;
type Example = keyof typeof examples;
const names = Object.keys(examples) as Example[];
const fileOf = (name: Example): string => (examples[name] === 'vitest' ? `${name}.test.ts` : `${name}.ts`);

/** What a failed child process printed, for the assertion message. */
const output = (error: unknown): string => {
  const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
  return `${String(error)}\n${stdout}\n${stderr}`;
};

test('every example marked in the README is one this file runs', async () => {
  const text = await readFile(readme, 'utf8');
  const marked = [...text.matchAll(/<!-- example: (\S+)/g)].map((m) => m[1]);
  expect(marked.sort()).toEqual([...names].sort());
});

test('the README names every export of the package', async () => {
  const text = await readFile(readme, 'utf8');
  expect(Object.keys(testing).filter((name) => !text.includes(`\`${name}\``))).toEqual([]);
});

test(
  "the README's examples type-check in a strict project, and its test files pass there",
  { timeout: 180_000 },
  async () => {
    // A project of the user's: inside this package, so its imports resolve as an installed project's do.
    const project = join(testingRoot, '.readme-snippets', `testing-${process.pid}`);
    await rm(project, { recursive: true, force: true });
    await mkdir(project, { recursive: true });
    try {
      for (const name of names) await writeFile(join(project, fileOf(name)), (await readmeSnippet(readme, name)).code);
      await writeFile(
        join(project, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            strict: true,
            noUncheckedIndexedAccess: true,
            exactOptionalPropertyTypes: true,
            verbatimModuleSyntax: true,
            module: 'nodenext',
            target: 'es2022',
            lib: ['es2023', 'esnext.disposable'],
            types: ['node'],
            noEmit: true,
            skipLibCheck: true,
            customConditions: ['@baton/source'],
          },
          files: names.map(fileOf),
        }),
      );
      // One worker, one module graph: the files share Arrow and fast-check instead of importing them each.
      await writeFile(
        join(project, 'vitest.config.ts'),
        "import { defaultServerConditions } from 'vite';\n" +
          "const conditions = ['@baton/source', ...defaultServerConditions.filter((c) => c !== 'module')];\n" +
          'export default { resolve: { conditions }, ssr: { resolve: { conditions } },\n' +
          "  test: { include: ['*.test.ts'], isolate: false, fileParallelism: false } };\n",
      );
      const report = join(project, 'report.json');
      const [typeCheck, tests] = await Promise.allSettled([
        run(process.execPath, [tsc, '-p', project], { cwd: project }),
        run(process.execPath, [vitest, 'run', '--root', project, '--reporter=json', `--outputFile=${report}`], {
          cwd: project,
          env: { ...process.env, FORCE_COLOR: '0' },
        }),
      ]);
      expect(typeCheck.status === 'rejected' ? output(typeCheck.reason) : '').toBe('');
      const results = JSON.parse(await readFile(report, 'utf8').catch(() => '{"testResults":[]}')) as {
        testResults: {
          name: string;
          assertionResults: { status: string; fullName: string; failureMessages: string[] }[];
        }[];
      };
      const failed = results.testResults.flatMap((file) =>
        file.assertionResults
          .filter((t) => t.status !== 'passed')
          .map((t) => `${t.fullName}: ${t.status}\n${t.failureMessages.join('\n')}`),
      );
      expect(failed).toEqual([]);
      expect(tests.status === 'rejected' ? output(tests.reason) : '').toBe('');
      const passed = Object.fromEntries(
        results.testResults.map((file) => [
          file.name.slice(project.length + 1),
          file.assertionResults.filter((t) => t.status === 'passed').length,
        ]),
      );
      // Every test file of the README ran, and each ran tests (a suite of zero cases would pass too).
      const files = names.filter((name) => examples[name] === 'vitest').map(fileOf);
      expect(Object.keys(passed).sort()).toEqual(files.sort());
      for (const file of files) expect(passed[file], file).toBeGreaterThan(0);
    } finally {
      await rm(project, { recursive: true, force: true });
    }
  },
);

test('the counterexample example prints the report the README shows', async () => {
  const { code, prints } = await readmeSnippet(readme, 'counterexample');
  expect(prints).toBeDefined();
  expect(await runSnippet('counterexample', code)).toBe(prints);
});
