import { execFile } from 'node:child_process';
import { mkdir, open, readFile, symlink, writeFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { createPrivateKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { jobsPluginFiles, tempDir, writeTree } from '../loader/__tests__/artifactKit.js';
import { signManifest, trustedKey } from '../loader/signing.js';
import { runCli } from './__tests__/runCli.js';

const run = runCli;

async function setup(): Promise<{ root: string; key: string; pub: string; plugin: string }> {
  const root = await tempDir('keys');
  expect((await run('keygen', '--out', join(root, 'keys'))).code).toBe(0);
  const plugin = join(root, 'plugin');
  await writeTree(plugin, {
    ...jobsPluginFiles('1.0.0'),
    'baton-plugin.json': JSON.stringify({ name: 'jobs', version: '1.0.0', entry: 'index.js' }),
  });
  return { root, key: join(root, 'keys', 'baton-signing.key'), pub: join(root, 'keys', 'baton-signing.pub'), plugin };
}

describe('key files on the command line', () => {
  it('a public key given as --key is named as such, not an OpenSSL decoder error', async () => {
    const { plugin, pub } = await setup();
    const result = await run('sign', plugin, '--key', pub);
    expect(result.code).toBe(1);
    expect(result.err).toBe(
      `baton: INVALID_ARGUMENT: --key ${pub}: this is a public key; signing needs the private key (baton keygen writes it as baton-signing.key)`,
    );
  });

  it('a private key given as --trust is refused: hosts must never hold the signing key', async () => {
    const { plugin, key, pub } = await setup();
    expect((await run('sign', plugin, '--key', key)).code).toBe(0);
    expect((await run('verify', plugin, '--trust', pub)).code).toBe(0);
    for (const command of [
      ['verify', plugin, '--trust', key],
      ['inspect', plugin, '--trust', key],
    ]) {
      const result = await run(...command);
      expect(result.code).toBe(1);
      expect(result.err).toContain(`--trust ${key}: this is a private (signing) key; trust the public key instead`);
    }
  });

  it('keygen --out an existing file, or over an existing key, says so', async () => {
    const { root } = await setup();
    const file = join(root, 'a-file');
    await writeFile(file, 'x');
    expect(await run('keygen', '--out', file)).toMatchObject({
      code: 1,
      err: `baton: INVALID_ARGUMENT: --out ${file} exists and is not a directory (give a directory for the key pair)`,
    });
    expect((await run('keygen', '--out', join(root, 'keys'))).err).toContain('refusing to overwrite a signing key');
    const onlyPublic = join(root, 'only-public');
    await mkdir(onlyPublic);
    await writeFile(join(onlyPublic, 'baton-signing.pub'), 'x');
    expect((await run('keygen', '--out', onlyPublic)).err).toContain('baton-signing.pub exists');
  });

  it('a missing key file, a directory or a file that is not a key get clear messages', async () => {
    const { root, plugin } = await setup();
    const junk = join(root, 'junk.pem');
    await writeFile(junk, 'not a key\n');
    for (const [argv, message] of [
      [['sign', plugin, '--key', join(root, 'nope.key')], `--key ${join(root, 'nope.key')}: no such file`],
      [['sign', plugin, '--key', root], `--key ${root} is not a file`],
      [['sign', plugin, '--key', junk], `--key ${junk}: not a PEM private key`],
      [['verify', plugin, '--trust', junk], `--trust ${junk}: not a PEM public key`],
    ] as const) {
      const result = await run(...argv);
      expect(result.code).toBe(1);
      expect(result.err).toContain(message);
    }
  });

  it('the library refuses the same mix-ups: a private KeyObject or PEM as trusted key, a public PEM as signing key', async () => {
    const { key, pub } = await setup();
    const [privatePem, publicPem] = await Promise.all([readFile(key, 'utf8'), readFile(pub, 'utf8')]);
    expect(() => trustedKey(privatePem)).toThrow(/this is a private \(signing\) key/);
    expect(() => trustedKey(createPrivateKey(privatePem))).toThrow(/this is a private \(signing\) key/);
    expect(() => signManifest(new Uint8Array(1), publicPem)).toThrow(/this is a public key/);
    expect(trustedKey(publicPem).keyId).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('key files are read safely', () => {
  it(
    'a symbolic link to a FIFO, to /dev/zero, a directory: refused at once, nothing read',
    { timeout: 20_000 },
    async () => {
      const { root, plugin } = await setup();
      const fifo = join(root, 'fifo');
      await promisify(execFile)('mkfifo', [fifo]);
      await symlink(fifo, join(root, 'fifo-link'));
      await symlink('/dev/zero', join(root, 'zero-link'));
      for (const [argv, message] of [
        [
          ['sign', plugin, '--key', join(root, 'fifo-link')],
          `--key ${join(root, 'fifo-link')} is not a file but a FIFO`,
        ],
        [['sign', plugin, '--key', fifo], `--key ${fifo} is not a file but a FIFO`],
        [
          ['verify', plugin, '--trust', join(root, 'zero-link')],
          `--trust ${join(root, 'zero-link')} is not a file but a device`,
        ],
        [['sign', plugin, '--key', '/dev/zero'], '--key /dev/zero is not a file but a device'],
        [['verify', plugin, '--trust', root], `--trust ${root} is not a file but a directory`],
      ] as const) {
        const result = await run(...argv);
        expect(result.code).toBe(1);
        expect(result.err).toBe(`baton: INVALID_ARGUMENT: ${message} (give the PEM key file itself)`);
      }
    },
  );

  it('a huge file is refused by its size before it is read; a key behind a symbolic link is read', async () => {
    const { root, plugin, key, pub } = await setup();
    const big = join(root, 'big.bin');
    const handle = await open(big, 'w');
    await handle.truncate(300 * 1024 * 1024); // sparse
    await handle.close();
    expect(await run('sign', plugin, '--key', big)).toMatchObject({
      code: 1,
      err: `baton: INVALID_ARGUMENT: --key ${big} is ${300 * 1024 * 1024} bytes: not a PEM key file`,
    });
    // Nothing was read: a process that refuses it stays small (reading it would take over 300 MiB).
    const source = fileURLToPath(new URL('./keyFiles.ts', import.meta.url));
    const script =
      `const { readKeyFile } = await import(${JSON.stringify(pathToFileURL(source).href)});\n` +
      `const refused = await readKeyFile(${JSON.stringify(big)}, '--key').then(() => false, () => true);\n` +
      `console.log(JSON.stringify({ refused, maxRssMiB: process.resourceUsage().maxRSS / 1024 }));`;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: fileURLToPath(new URL('../../', import.meta.url)) },
    );
    const probe = JSON.parse(stdout) as { refused: boolean; maxRssMiB: number };
    expect(probe.refused).toBe(true);
    expect(probe.maxRssMiB).toBeLessThan(200);
    // Secret stores mount keys as symbolic links: the link is followed to a regular file.
    await symlink(key, join(root, 'key-link'));
    await symlink(pub, join(root, 'pub-link'));
    expect((await run('sign', plugin, '--key', join(root, 'key-link'))).code).toBe(0);
    expect((await run('verify', plugin, '--trust', join(root, 'pub-link'))).code).toBe(0);
  });
});
