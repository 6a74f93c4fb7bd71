import { mkdir, mkdtemp, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPluginHost } from '../host/pluginHost.js';
import { MANIFEST_FILE } from './manifest.js';
import { generateSigningKey, trustedKey } from './signing.js';
import type { SigningKeyPair, TrustedKey } from './signing.js';
import { signPluginDirectory } from './signArtifact.js';
import { loadPluginVersion } from './loadPluginVersion.js';
import { verifyPluginDirectory } from './verifyDirectory.js';
import { removeRuntimeDirs, runtimeDir } from './__tests__/artifactKit.js';

let key: SigningKeyPair;
let trusted: TrustedKey[];
afterAll(removeRuntimeDirs);
beforeAll(() => {
  key = generateSigningKey();
  trusted = [trustedKey(key.publicKeyPem)];
});

/** Writes a self-contained plugin (entry + a relative import) and signs it. */
async function artifact(
  version: string,
  options: { sign?: boolean; surfaces?: { kind: string; key: string }[] } = {},
): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `baton-plugin-${version}-`));
  await mkdir(join(dir, 'lib'));
  await writeFile(
    join(dir, 'lib', 'state.js'),
    `export const loadedAt = Symbol('module instance of ${version}');\nexport let ticks = 0;\nexport function tick() { ticks++; return ticks; }\n`,
  );
  await writeFile(
    join(dir, 'index.js'),
    `import { tick, loadedAt } from './lib/state.js';\n` +
      `export const instance = loadedAt;\n` +
      `export default { name: 'jobs', version: '${version}', register(r) { r.backgroundJob({ name: 'count', intervalMs: 1000, tick() { tick(); } }); } };\n`,
  );
  if (options.sign !== false)
    await signPluginDirectory(dir, key.privateKeyPem, {
      name: 'jobs',
      version,
      entry: 'index.js',
      surfaces: options.surfaces ?? [{ kind: 'backgroundJob', key: 'count' }],
    });
  return dir;
}

describe('plugin artifacts', () => {
  it('verifies, installs into a private content-addressed directory, imports and loads', async () => {
    const runtime = await runtimeDir('runtime');
    const loaded = await loadPluginVersion(await artifact('1.0.0'), {
      trustedKeys: trusted,
      runtimeDirectory: runtime,
    });
    expect(loaded.manifest).toMatchObject({ name: 'jobs', version: '1.0.0', entry: 'index.js' });
    expect(Object.keys(loaded.manifest.files).sort()).toEqual(['index.js', 'lib/state.js']);
    expect(loaded.installed!.directory.startsWith(join(runtime, 'jobs', '1.0.0-'))).toBe(true);
    expect((await stat(runtime)).mode & 0o777).toBe(0o700);
    expect((await stat(loaded.installed!.directory)).mode & 0o777).toBe(0o700);
    await using host = createPluginHost();
    await host.load(loaded.definition);
    expect(await host.runJob('count')).toBe(true);
  });

  it('gives every version a fresh module graph, relative imports included', async () => {
    const runtime = await runtimeDir('runtime');
    const a = await loadPluginVersion(await artifact('1.0.0'), { trustedKeys: trusted, runtimeDirectory: runtime });
    const b = await loadPluginVersion(await artifact('2.0.0'), { trustedKeys: trusted, runtimeDirectory: runtime });
    const modA = (await import(a.installed!.entryPath)) as { instance: symbol };
    const modB = (await import(b.installed!.entryPath)) as { instance: symbol };
    expect(modA.instance).not.toBe(modB.instance);
    expect(a.installed!.directory).not.toBe(b.installed!.directory);
    const again = await loadPluginVersion(await artifact('1.0.0'), { trustedKeys: trusted, runtimeDirectory: runtime });
    expect(again.installed!.directory).toBe(a.installed!.directory); // same bytes, same address
  });

  it('refuses a tampered file, a tampered manifest, an unsigned or foreign-signed artifact', async () => {
    const tamperedFile = await artifact('1.0.0');
    await writeFile(join(tamperedFile, 'lib', 'state.js'), 'globalThis.pwned = true;\n');
    await expect(verifyPluginDirectory(tamperedFile, { trustedKeys: trusted })).rejects.toMatchObject({
      code: 'VERIFICATION_FAILED',
      message: expect.stringContaining("'lib/state.js' does not match its sha256"),
    });

    const tamperedManifest = await artifact('1.0.0');
    const manifest = await readFile(join(tamperedManifest, MANIFEST_FILE), 'utf8');
    await writeFile(join(tamperedManifest, MANIFEST_FILE), manifest.replace('"1.0.0"', '"1.0.1"'));
    await expect(verifyPluginDirectory(tamperedManifest, { trustedKeys: trusted })).rejects.toThrow(/does not verify/);

    await expect(
      verifyPluginDirectory(await artifact('1.0.0', { sign: false }), { trustedKeys: trusted }),
    ).rejects.toThrow(/cannot read the manifest/);
    const other = trustedKey(generateSigningKey().publicKeyPem);
    await expect(verifyPluginDirectory(await artifact('1.0.0'), { trustedKeys: [other] })).rejects.toThrow(
      /not trusted/,
    );
    expect((globalThis as { pwned?: boolean }).pwned).toBeUndefined();
  });

  it('refuses extra files, symbolic links and paths that escape the artifact', async () => {
    const extra = await artifact('1.0.0');
    await writeFile(join(extra, 'smuggled.js'), '');
    await expect(verifyPluginDirectory(extra, { trustedKeys: trusted })).rejects.toThrow(
      /not in the manifest: smuggled.js/,
    );
    const linked = await artifact('1.0.0');
    await symlink('/etc/passwd', join(linked, 'link.js'));
    await expect(verifyPluginDirectory(linked, { trustedKeys: trusted })).rejects.toThrow(/symbolic link/);
    const escaping = await artifact('1.0.0', { sign: false });
    await expect(
      signPluginDirectory(escaping, key.privateKeyPem, { name: 'jobs', version: '1', entry: '../index.js' }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining("'entry' must be one of the listed files"),
    });
  });

  it('fails registration when the registered surfaces differ from the manifest', async () => {
    const runtime = await runtimeDir('runtime');
    const loaded = await loadPluginVersion(
      await artifact('1.0.0', { surfaces: [{ kind: 'backgroundJob', key: 'other' }] }),
      { trustedKeys: trusted, runtimeDirectory: runtime },
    );
    await using host = createPluginHost();
    await expect(host.load(loaded.definition)).rejects.toMatchObject({
      code: 'REGISTRATION_FAILED',
      message: expect.stringContaining('undeclared backgroundJob/count, missing backgroundJob/other'),
    });
  });
});

describe('a runtime directory outside the project', () => {
  it('fails to import a plugin that imports a host package, and says where to put the directory', async () => {
    const { homedir } = await import('node:os');
    const { rm } = await import('node:fs/promises');
    const keys = generateSigningKey();
    const artifact = await mkdtemp(join(tmpdir(), 'baton-outside-'));
    await writeFile(join(artifact, 'package.json'), '{ "type": "module" }\n');
    await writeFile(
      join(artifact, 'index.js'),
      "import { definePlugin } from '@baton/core';\nexport default definePlugin({ name: 'outside', version: '1.0.0', register() {} });\n",
    );
    await signPluginDirectory(artifact, keys.privateKeyPem, { name: 'outside', version: '1.0.0', entry: 'index.js' });
    // The user's home directory: no project (no node_modules) on its path.
    const runtime = await mkdtemp(join(homedir(), '.baton-outside-'));
    try {
      await expect(
        loadPluginVersion(artifact, { trustedKeys: [trustedKey(keys.publicKeyPem)], runtimeDirectory: runtime }),
      ).rejects.toMatchObject({
        code: 'INVALID_PLUGIN',
        message: expect.stringContaining(
          "the plugin imports '@baton/core', which Node resolves from the runtime directory upwards: put runtimeDirectory inside the project",
        ),
      });
    } finally {
      await rm(runtime, { recursive: true, force: true });
    }
  });
});
