import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify, stripVTControlCharacters } from 'node:util';
import { generateSigningKey, signPluginDirectory } from '@baton/core/loader';
import { expect, test } from 'vitest';
import { readmeSnippet } from './readmeSnippet.js';

const rootReadme = fileURLToPath(new URL('../../../../README.md', import.meta.url));
const testingRoot = fileURLToPath(new URL('../../', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const run = promisify(execFile);

/** `text` with `from` replaced by `to`, which must occur in it. */
function replaced(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`the README's plugin example no longer contains ${from}`);
  return text.replace(from, to);
}

test(
  "the root README's plugin and hosting examples work as written: signed, type-checked under --strict, run",
  { timeout: 120_000 },
  async () => {
    const plugin = await readmeSnippet(rootReadme, 'plugin');
    const hosting = await readmeSnippet(rootReadme, 'hosting');
    expect(hosting.prints).toBeDefined();
    // A project of the user's: inside this package, so its imports resolve as an installed project's do.
    const project = join(testingRoot, '.readme-snippets', `hosting-${process.pid}`);
    await rm(project, { recursive: true, force: true });
    try {
      const key = generateSigningKey();
      await mkdir(join(project, 'keys'), { recursive: true });
      await writeFile(join(project, 'keys', 'baton-signing.pub'), key.publicKeyPem);
      const v2 = replaced(
        replaced(
          replaced(plugin.code, "version: '1.0.0'", "version: '2.0.0'"),
          'geo-search 1.0.0 retired',
          'geo-search 2.0.0 retired',
        ),
        'gCounter()',
        'gCounter({ format: 2 })',
      );
      for (const [version, code] of [
        ['1.0.0', plugin.code],
        ['2.0.0', v2],
      ] as const) {
        const dir = join(project, 'plugins', `geo-search-v${version[0]}`);
        await mkdir(dir, { recursive: true });
        await writeFile(join(dir, 'package.json'), '{ "type": "module" }\n');
        await writeFile(join(dir, 'index.js'), code);
        await signPluginDirectory(dir, key.privateKeyPem, { name: 'geo-search', version, entry: 'index.js' });
      }
      await writeFile(join(project, 'host.ts'), hosting.code);
      await writeFile(
        join(project, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            strict: true,
            module: 'nodenext',
            target: 'es2022',
            noEmit: true,
            skipLibCheck: true,
            customConditions: ['@baton/source'],
          },
          files: ['host.ts'],
        }),
      );
      // Type-checked as a user's strict project would check it.
      await run(process.execPath, [tsc, '-p', project], { cwd: project });
      const { stdout } = await run(process.execPath, ['--import', 'tsx', '--conditions=@baton/source', 'host.ts'], {
        cwd: project,
      });
      expect(stdout).toBe(hosting.prints);
    } finally {
      await rm(project, { recursive: true, force: true });
    }
  },
);

test("the root README's provider test passes as a vitest file of its own", { timeout: 120_000 }, async () => {
  const { code } = await readmeSnippet(rootReadme, 'provider');
  const project = join(testingRoot, '.readme-snippets', `provider-${process.pid}`);
  await rm(project, { recursive: true, force: true });
  await mkdir(project, { recursive: true });
  try {
    await writeFile(join(project, 'provider.test.ts'), code);
    await writeFile(
      join(project, 'myCounterV2.ts'),
      "import { gCounter } from '@baton/kinds';\nexport const myCounterV2 = gCounter({ format: 2 });\n",
    );
    await writeFile(
      join(project, 'vitest.config.ts'),
      "import { defaultServerConditions } from 'vite';\n" +
        "const conditions = ['@baton/source', ...defaultServerConditions.filter((c) => c !== 'module')];\n" +
        "export default { resolve: { conditions }, ssr: { resolve: { conditions } }, test: { include: ['*.test.ts'] } };\n",
    );
    const vitest = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
    const { stdout } = await run(process.execPath, [vitest, 'run', '--root', project], {
      cwd: project,
      env: { ...process.env, FORCE_COLOR: '0' },
    });
    expect(stripVTControlCharacters(stdout)).toMatch(/Tests\s+1 passed/);
  } finally {
    await rm(project, { recursive: true, force: true });
  }
});
