import { mkdir, readFile, writeFile } from 'node:fs/promises';
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
