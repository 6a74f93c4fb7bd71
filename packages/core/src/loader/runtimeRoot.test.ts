import { chmod, chown, mkdir, readdir, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { installPlugin } from './installRuntime.js';
import { loadPluginVersion } from './loadPluginVersion.js';
import { verifyPluginDirectory } from './verifyDirectory.js';
import { signPluginDirectory } from './signArtifact.js';
import {
  jobsArtifact,
  jobsPluginFiles,
  removeRuntimeDirs,
  runtimeDir,
  tempDir,
  testKey,
  testTrusted,
  writeTree,
} from './__tests__/artifactKit.js';

/** Another user's uid: these tests run as root here, which may chown to anyone. */
const OTHER_UID = 4242;
const runsAsRoot = process.getuid?.() === 0;

afterAll(removeRuntimeDirs);

async function verified() {
  return verifyPluginDirectory(await jobsArtifact(), { trustedKeys: testTrusted });
}

describe('the runtime root must be private to this user (like ssh StrictModes)', () => {
  it.skipIf(!runsAsRoot)('refuses a root another user created first, and installs nothing in it', async () => {
    const root = join(await runtimeDir('shared'), 'runtime');
    await mkdir(root, { mode: 0o700 });
    await chown(root, OTHER_UID, OTHER_UID);
    await expect(installPlugin(await verified(), root)).rejects.toMatchObject({
      name: 'ReloadError',
      code: 'UNSAFE_PATH',
      message: expect.stringMatching(
        new RegExp(`${root}: it is owned by uid ${OTHER_UID}, not by this process's user`),
      ),
    });
    expect(await readdir(root)).toEqual([]);
    expect((await stat(root)).uid).toBe(OTHER_UID);
  });

  it.skipIf(!runsAsRoot)('refuses a plugin folder inside the root that another user owns', async () => {
    const root = await runtimeDir('runtime');
    await mkdir(join(root, 'jobs'), { mode: 0o700 });
    await chown(join(root, 'jobs'), OTHER_UID, OTHER_UID);
    await expect(installPlugin(await verified(), root)).rejects.toMatchObject({
      code: 'UNSAFE_PATH',
      message: expect.stringContaining(`${join(root, 'jobs')}: it is owned by uid ${OTHER_UID}`),
    });
  });

  it.skipIf(!runsAsRoot)('refuses a symbolic link to another user’s directory as the root', async () => {
    const foreign = await runtimeDir('foreign');
    await chown(foreign, OTHER_UID, OTHER_UID);
    const root = join(await runtimeDir('link'), 'runtime');
    await symlink(foreign, root);
    await expect(installPlugin(await verified(), root)).rejects.toMatchObject({ code: 'UNSAFE_PATH' });
  });

  it('refuses a root writable by its group or by others, and does not quietly chmod it', async () => {
    for (const mode of [0o770, 0o707, 0o777, 0o1777]) {
      const root = await runtimeDir('runtime');
      await chmod(root, mode);
      await expect(
        loadPluginVersion(await jobsArtifact(), { trustedKeys: testTrusted, runtimeDirectory: root }),
      ).rejects.toMatchObject({
        code: 'UNSAFE_PATH',
        message: expect.stringContaining('writable by its group or others'),
      });
      expect((await stat(root)).mode & 0o7777).toBe(mode);
      expect(await readdir(root)).toEqual([]);
    }
  });

  it('refuses a node_modules or package.json in the root: they would steer every plugin’s imports', async () => {
    for (const entry of ['node_modules', 'package.json']) {
      const root = await runtimeDir('runtime');
      if (entry === 'node_modules') await mkdir(join(root, entry));
      else await writeFile(join(root, entry), '{ "imports": { "#x": "/tmp/evil.js" } }');
      await expect(installPlugin(await verified(), root)).rejects.toMatchObject({
        code: 'UNSAFE_PATH',
        message: expect.stringContaining(`it holds ${entry}`),
      });
    }
  });

  it('creates a missing root and its parents 0700, owned by this user, and accepts its own root later', async () => {
    const base = await runtimeDir('fresh');
    const root = join(base, 'a', 'b', 'runtime');
    const plugin = await verified();
    const installed = await installPlugin(plugin, root);
    for (const dir of [join(base, 'a'), join(base, 'a', 'b'), root, join(root, 'jobs'), installed.directory]) {
      const stats = await stat(dir);
      expect(stats.mode & 0o777).toBe(0o700);
      expect(stats.uid).toBe(process.getuid?.());
    }
    expect((await installPlugin(plugin, root)).directory).toBe(installed.directory);
  });

  it('accepts a root this user owns that others may read but not write (0755), and leaves its mode alone', async () => {
    // Baton never changes the mode of a directory it did not create (it used to make this 0700).
    const root = await runtimeDir('runtime');
    await chmod(root, 0o755);
    const installed = await installPlugin(await verified(), root);
    expect((await stat(root)).mode & 0o7777).toBe(0o755);
    expect((await stat(installed.directory)).mode & 0o777).toBe(0o700);
  });

  it('a plugin named node_modules gets a folder that cannot steer resolution, and the root stays usable', async () => {
    const root = await runtimeDir('runtime');
    const dir = await tempDir('artifact');
    await writeTree(dir, jobsPluginFiles('1.0.0'));
    await signPluginDirectory(dir, testKey.privateKeyPem, {
      name: 'node_modules',
      version: '1.0.0',
      entry: 'index.js',
    });
    const odd = await installPlugin(await verifyPluginDirectory(dir, { trustedKeys: testTrusted }), root);
    expect(odd.directory.startsWith(join(root, '_node_modules') + '/')).toBe(true);
    expect((await installPlugin(await verified(), root)).directory.startsWith(join(root, 'jobs') + '/')).toBe(true);
  });
});
