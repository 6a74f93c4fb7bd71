import { execFile } from 'node:child_process';
import { readdir, realpath, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { jobsPluginFiles, removeRuntimeDirs, runtimeDir, tempDir, writeTree } from '../loader/__tests__/artifactKit.js';
import { userDirectory } from './userDirectory.js';
import { cliCommand, cliPackageRoot, runCli, runCliIn } from './__tests__/runCli.js';

afterAll(removeRuntimeDirs);

async function signedPlugin(): Promise<{ plugin: string; key: string; pub: string }> {
  const root = await tempDir('usage');
  expect((await runCli('keygen', '--out', join(root, 'keys'))).code).toBe(0);
  const plugin = join(root, 'plugin');
  await writeTree(plugin, {
    ...jobsPluginFiles('1.0.0'),
    'baton-plugin.json': JSON.stringify({ name: 'jobs', version: '1.0.0', entry: 'index.js' }),
  });
  const key = join(root, 'keys', 'baton-signing.key');
  expect((await runCli('sign', plugin, '--key', key)).code).toBe(0);
  return { plugin, key, pub: join(root, 'keys', 'baton-signing.pub') };
}

describe('usage errors (exit 2)', () => {
  it('refuses extra positional arguments and the options of other commands', async () => {
    const { plugin, key, pub } = await signedPlugin();
    for (const [argv, message] of [
      [['verify', plugin, join(plugin, 'other'), '--trust', pub], `unexpected '${join(plugin, 'other')}'`],
      [['sign', plugin, 'extra', '--key', key], "unexpected 'extra'"],
      [['keygen', 'keys'], "keygen takes no arguments; unexpected 'keys'"],
      [['sign', plugin, '--key', key, '--out', '/tmp/zz'], '--out is not an option of sign'],
      [['verify', plugin, '--trust', pub, '--timeout', '5'], '--timeout is not an option of verify'],
      [['keygen', '--trust', pub, '--key', key], '--key, --trust are not options of keygen'],
      [['verify', plugin, '--trust', pub, '--unsigned'], '--unsigned is not an option of verify'],
      [['keygen', '--out', ''], 'an empty path was given'],
      [['verify', '', '--trust', pub], 'an empty path was given'],
    ] as const) {
      const result = await runCli(...argv);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.err).toContain(message);
    }
  });

  it('--timeout takes whole milliseconds from 1 to 2^31 − 1 (Node’s timers fire at once beyond)', async () => {
    const { plugin, pub } = await signedPlugin();
    for (const value of ['99999999999', '2147483648', '0', '-5', '1e3', '0x10', '1.5', 'soon', '']) {
      const result = await runCli('inspect', plugin, '--against', plugin, '--trust', pub, `--timeout=${value}`);
      expect(result.code, value).toBe(2);
      expect(result.err).toContain(
        `--timeout must be a whole number of milliseconds from 1 to 2147483647 (got ${value})`,
      );
    }
    expect((await runCli('inspect', plugin, '--trust', pub, '--timeout', '2147483647')).code).toBe(0);
  });
});

describe('relative paths resolve where the user typed the command', () => {
  it('userDirectory: INIT_CWD when npm exec changed into the package directory, else the current directory', () => {
    const npx = { npm_command: 'exec', INIT_CWD: '/ws/pkg/sub', npm_package_json: '/ws/pkg/package.json' };
    expect(userDirectory(npx, '/ws/pkg')).toBe('/ws/pkg/sub');
    expect(userDirectory({ ...npx, npm_package_json: undefined }, '/ws/pkg')).toBe('/ws/pkg/sub');
    expect(userDirectory(npx, '/elsewhere')).toBe('/elsewhere'); // the script changed directory itself
    expect(userDirectory({ ...npx, npm_command: 'run-script' }, '/ws/pkg')).toBe('/ws/pkg'); // npm run: the package's
    expect(userDirectory({ ...npx, INIT_CWD: 'relative' }, '/ws/pkg')).toBe('/ws/pkg');
    expect(userDirectory({}, '/ws/pkg')).toBe('/ws/pkg');
  });

  it('main resolves every path option against it', async () => {
    const sub = await runtimeDir('init-cwd');
    const env = { npm_command: 'exec', INIT_CWD: sub, npm_package_json: join(process.cwd(), 'package.json') };
    expect((await runCliIn(env, 'keygen', '--out', 'keys')).code).toBe(0);
    expect(await readdir(join(sub, 'keys'))).toEqual(['baton-signing.key', 'baton-signing.pub']);
    await writeTree(join(sub, 'plugin'), {
      ...jobsPluginFiles('1.0.0'),
      'baton-plugin.json': JSON.stringify({ name: 'jobs', version: '1.0.0', entry: 'index.js' }),
    });
    expect((await runCliIn(env, 'sign', 'plugin', '--key', 'keys/baton-signing.key')).code).toBe(0);
    const verified = await runCliIn(env, 'verify', 'plugin', '--trust', 'keys/baton-signing.pub');
    expect(verified).toMatchObject({ code: 0, out: expect.stringContaining('ok: jobs 1.0.0') });
  });

  it(
    'npx from a subdirectory of a workspace package: paths are the ones the user typed',
    { timeout: 30_000 },
    async () => {
      // packages/core/.baton-runtime/tests/… is inside the @baton/core workspace: npx changes into packages/core.
      const sub = await runtimeDir('npx');
      const [node, args] = cliCommand('keygen', '--out', 'keys-from-npx');
      const command = [node, ...args].map((word) => `'${word}'`).join(' ');
      const { stdout } = await promisify(execFile)('npx', ['--no-install', '-c', command], { cwd: sub });
      expect(stdout).toContain(`private key ${join(await realpath(sub), 'keys-from-npx', 'baton-signing.key')}`);
      expect(await readdir(join(sub, 'keys-from-npx'))).toEqual(['baton-signing.key', 'baton-signing.pub']);
      const misplaced = (await readdir(cliPackageRoot)).includes('keys-from-npx');
      if (misplaced) await rm(join(cliPackageRoot, 'keys-from-npx'), { recursive: true });
      expect(misplaced).toBe(false);
    },
  );
});
