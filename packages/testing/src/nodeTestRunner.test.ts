import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

it('runs under node:test, with the checks as plain async functions', async () => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', '--conditions=@baton/source', '--test', '--test-reporter=tap', 'examples/nodeTest.ts'],
    { cwd: packageDir },
  );
  expect(stdout).toMatch(/# pass 6/);
  expect(stdout).toMatch(/# fail 0/);
}, 120_000);
