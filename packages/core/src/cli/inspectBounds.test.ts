import { spawn } from 'node:child_process';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { removeRuntimeDirs, runtimeDir, tempDir, writeTree } from '../loader/__tests__/artifactKit.js';
import { STOP_GRACE_MS } from './inspectProcess.js';
import { cliCommand, cliPackageRoot, runCli } from './__tests__/runCli.js';

afterAll(removeRuntimeDirs);

const TIMEOUT_MS = 300;

/**
 * Two unsigned plugin versions `demo` 1.0.0 and 2.0.0; 2.0.0's module starts with `top` and its
 * register() runs `register`. Every module records its process id in `<root>/pids` first.
 */
async function versions(top = '', register = ''): Promise<{ root: string; v1: string; v2: string; pids: string }> {
  const root = await tempDir('bounds');
  const pids = join(root, 'pids');
  const write = async (version: string, topCode: string, registerCode: string): Promise<string> => {
    const dir = join(root, `demo-${version}`);
    await writeTree(dir, {
      'package.json': '{ "type": "module" }\n',
      'index.js':
        `(await import('node:fs')).appendFileSync(${JSON.stringify(pids)}, process.pid + '\\n');\n${topCode}\n` +
        `export default { name: 'demo', version: '${version}', async register(r) { ${registerCode}; r.backgroundJob({ name: 'tick', intervalMs: 5, tick() {} }); } };\n`,
      'baton-plugin.json': JSON.stringify({ name: 'demo', version, entry: 'index.js' }),
    });
    return dir;
  };
  return { root, v1: await write('1.0.0', '', ''), v2: await write('2.0.0', top, register), pids };
}

/** The process ids the plugins' modules recorded. */
const recordedPids = async (file: string): Promise<number[]> =>
  (await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean).map(Number);

const running = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const leftovers = async (dir: string): Promise<string[]> =>
  (await readdir(dir)).filter((name) => name.startsWith('.baton-inspect-'));

describe('baton inspect bounds every way plugin code can hang', () => {
  const SPIN_SERVICES = 'for (;;) {}\nexport default function () {}\n';
  it.concurrent.each([
    [
      'register() that spins',
      '',
      'for (;;) {}',
      undefined,
      'REGISTRATION_FAILED: register() of demo 2.0.0 did not finish within',
    ],
    [
      'register() that never settles',
      '',
      'await new Promise(() => {})',
      undefined,
      'REGISTRATION_FAILED: register() of demo 2.0.0 did not finish within',
    ],
    [
      'a module top level that awaits forever',
      'await new Promise(() => {});',
      '',
      undefined,
      'INVALID_PLUGIN: importing demo 2.0.0 (its module code) did not finish within',
    ],
    [
      'a module top level that awaits a timer forever',
      'await new Promise(() => setInterval(() => {}, 1000));',
      '',
      undefined,
      'INVALID_PLUGIN: importing demo 2.0.0 (its module code) did not finish within',
    ],
    [
      'a module top level that spins',
      'for (;;) {}',
      '',
      undefined,
      'INVALID_PLUGIN: importing demo 2.0.0 (its module code) did not finish within',
    ],
    ['a --services module that spins at its top level', '', '', SPIN_SERVICES, 'INVALID_ARGUMENT: --services'],
    [
      'a --services function that never settles',
      '',
      '',
      'export default async function () { await new Promise(() => {}); }\n',
      'INVALID_ARGUMENT: --services',
    ],
    [
      'a --services module whose top level awaits a timer forever',
      '',
      '',
      'await new Promise(() => setInterval(() => {}, 1000));\nexport default function () {}\n',
      'INVALID_ARGUMENT: --services',
    ],
  ] as const)(
    '%s: a typed error (exit 1) within the timeout, the plugin process gone, nothing left behind',
    { timeout: 20_000 },
    async (_, top, register, services, message) => {
      const { root, v1, v2, pids } = await versions(top, register);
      const runtime = await runtimeDir('bounds');
      const args = [
        'inspect',
        v2,
        '--against',
        v1,
        '--unsigned',
        '--timeout',
        String(TIMEOUT_MS),
        '--runtime',
        runtime,
      ];
      if (services !== undefined) {
        await writeFile(join(root, 'services.mjs'), services);
        args.push('--services', join(root, 'services.mjs'));
      }
      const started = performance.now();
      const result = await runCli(...args);
      const took = performance.now() - started;
      expect(result).toMatchObject({ code: 1, out: expect.not.stringContaining('verdict') });
      expect(result.err).toContain(`baton: ${message}`);
      expect(took).toBeLessThan(TIMEOUT_MS * 8 + STOP_GRACE_MS + 10_000); // bounded, not a performance goal
      expect(await leftovers(runtime)).toEqual([]);
      for (const pid of await recordedPids(pids)) expect(running(pid)).toBe(false);
    },
  );

  it('what a signed plugin’s register() throws cannot pose as Baton’s verdict (REGISTRATION_FAILED, not its code)', async () => {
    const root = await tempDir('forged');
    const runtime = await runtimeDir('forged');
    expect((await runCli('keygen', '--out', join(root, 'keys'))).code).toBe(0);
    const write = async (version: string, body: string): Promise<string> => {
      const dir = join(root, `demo-${version}`);
      await writeTree(dir, {
        'package.json': '{ "type": "module" }\n',
        'index.js': `import { ReloadError } from '@baton/core';\nexport default { name: 'demo', version: '${version}', register(r) { ${body} } };\n`,
        // "surfaces": [] — sign then does not run register() to list them (v2's throws).
        'baton-plugin.json': JSON.stringify({ name: 'demo', version, entry: 'index.js', surfaces: [] }),
      });
      expect((await runCli('sign', dir, '--key', join(root, 'keys', 'baton-signing.key'))).code).toBe(0);
      return dir;
    };
    const v1 = await write('1.0.0', '');
    const v2 = await write(
      '2.0.0',
      `throw new ReloadError({ code: 'VERIFICATION_FAILED', phase: 'verify', message: 'signature of demo forged' });`,
    );
    const pub = join(root, 'keys', 'baton-signing.pub');
    const result = await runCli('inspect', v2, '--against', v1, '--trust', pub, '--runtime', runtime);
    expect(result.code).toBe(1);
    expect(result.err).toBe('baton: REGISTRATION_FAILED: register() of demo 2.0.0 failed: signature of demo forged');
  });
});

describe('baton inspect stopped by a signal', () => {
  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)(
    '%s while plugin code spins: the plugin process is killed, the runtime directory removed, exit %i',
    { timeout: 30_000 },
    async (signal, exitCode) => {
      const { v1, v2, pids } = await versions('', 'for (;;) {}');
      const runtime = await runtimeDir('signal');
      const [node, args] = cliCommand('inspect', v2, '--against', v1, '--unsigned', '--runtime', runtime);
      const cli = spawn(node, args, { cwd: cliPackageRoot, stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      cli.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
      const exited = new Promise<number | null>((resolve) =>
        cli.once('exit', (code) => {
          resolve(code);
        }),
      );
      // Wait until both plugin modules ran (the second one's register() then spins).
      while ((await recordedPids(pids)).length < 2) await delay(20);
      expect(await leftovers(runtime)).toHaveLength(1);
      cli.kill(signal);
      expect(await exited).toBe(exitCode);
      expect(err).toContain(`baton: ABORTED: inspect was interrupted by ${signal}`);
      expect(await leftovers(runtime)).toEqual([]);
      for (const pid of await recordedPids(pids)) expect(running(pid)).toBe(false);
    },
  );
});
