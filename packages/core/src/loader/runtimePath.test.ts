import { chmod, chown, lchown, mkdir, readdir, realpath, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { installPlugin } from './installRuntime.js';
import { loadPluginVersion } from './loadPluginVersion.js';
import { signPluginDirectory } from './signArtifact.js';
import { verifyPluginDirectory } from './verifyDirectory.js';
import {
  jobsArtifact,
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

const sharedTmp = ((await stat(tmpdir())).mode & 0o022) !== 0;

const verified = async () => verifyPluginDirectory(await jobsArtifact(), { trustedKeys: testTrusted });

/** The error `promise` rejects with (fails the test when it resolves). */
async function refusal(promise: Promise<unknown>): Promise<{ code?: string; message: string; details?: unknown }> {
  const result = await promise.then(
    () => undefined,
    (error: unknown) => error as { code?: string; message: string },
  );
  expect(result, 'expected a refusal').toBeDefined();
  return result!;
}

describe('every component of the runtime directory’s path is checked (ssh StrictModes)', () => {
  it.skipIf(!runsAsRoot)('refuses an existing parent of another user before creating anything in it', async () => {
    const parent = join(await runtimeDir('parent'), 'd');
    await mkdir(parent, { mode: 0o755 });
    await chown(parent, OTHER_UID, OTHER_UID);
    const root = join(parent, 'rt');
    const error = await refusal(installPlugin(await verified(), root));
    expect(error).toMatchObject({ code: 'UNSAFE_PATH', details: { path: parent, uid: OTHER_UID, mode: 0o755 } });
    expect(error.message).toContain(
      `refusing the runtime directory ${root}: ${parent}, a directory on its path, is owned by uid ${OTHER_UID}, not by this process's user (uid 0) or root`,
    );
    expect(error.message).toContain(`Fix: run chown 0 ${parent}`);
    expect(await readdir(parent)).toEqual([]);
  });

  it('refuses a parent writable by its group or others (sticky: unless a project lies between), naming its exact mode', async () => {
    for (const mode of [0o777, 0o770, 0o1777]) {
      const parent = join(await runtimeDir('parent'), 'shared');
      await mkdir(parent);
      await chmod(parent, mode);
      const text = mode.toString(8).padStart(4, '0');
      for (const existing of [false, true]) {
        const root = join(parent, `rt-${existing}`);
        if (existing) await mkdir(root, { mode: 0o700 });
        const error = await refusal(
          loadPluginVersion(await jobsArtifact(), { trustedKeys: testTrusted, runtimeDirectory: root }),
        );
        expect(error).toMatchObject({ code: 'UNSAFE_PATH', details: { path: parent, mode } });
        if (mode === 0o1777)
          expect(error.message).toContain(
            `it lies below ${parent}, a shared directory (mode 1777) where another user can create node_modules or package.json`,
          );
        else
          expect(error.message).toContain(
            `${parent}, a directory on its path, is writable by its group or others (mode ${text}`,
          );
        expect(await readdir(parent)).toEqual(existing ? ['rt-true'] : []);
        if (existing) expect(await readdir(root)).toEqual([]);
      }
      expect((await stat(parent)).mode & 0o7777).toBe(mode); // never chmod'ed
    }
  });

  it('reports the mode of a sticky world-writable root as 1777, not 0777', async () => {
    const root = await runtimeDir('runtime');
    await chmod(root, 0o1777);
    const error = await refusal(installPlugin(await verified(), root));
    expect(error.message).toContain(
      `refusing the runtime directory ${root}: it is writable by its group or others (mode 1777`,
    );
  });

  it.skipIf(!sharedTmp)(
    'refuses a runtime directory under the system temporary directory, which others can write',
    async () => {
      const root = join(await tempDir('runtime-in-tmp'), 'runtime');
      const error = await refusal(installPlugin(await verified(), root));
      expect(error.code).toBe('UNSAFE_PATH');
      expect(error.message).toContain('a shared directory (mode 1777)');
      expect(error.message).toContain('choose a runtime directory inside your project');
    },
  );

  it('accepts a runtime directory inside a project that lies below a shared sticky directory (a checkout under /tmp)', async () => {
    const shared = join(await runtimeDir('shared-sticky'), 'tmp');
    await mkdir(shared);
    await chmod(shared, 0o1777);
    const project = join(shared, 'checkout');
    await mkdir(join(project, 'node_modules'), { recursive: true, mode: 0o755 });
    await chmod(project, 0o755);
    await writeFile(join(project, 'package.json'), '{"private":true}\n');
    // Another user may create entries in the shared directory itself; resolution ends in the project.
    await mkdir(join(shared, 'node_modules'));
    const root = join(project, '.baton', 'runtime');
    const loaded = await loadPluginVersion(await jobsArtifact(), { trustedKeys: testTrusted, runtimeDirectory: root });
    expect(loaded.installed!.directory.startsWith(root)).toBe(true);
    // Without the project's node_modules, the same layout is refused.
    await rm(join(project, 'node_modules'), { recursive: true });
    const error = await refusal(
      loadPluginVersion(await jobsArtifact('1.0.0', 'second'), { trustedKeys: testTrusted, runtimeDirectory: root }),
    );
    expect(error).toMatchObject({ code: 'UNSAFE_PATH', details: { path: shared } });
  });

  it.skipIf(!runsAsRoot)(
    'refuses a runtime root that is another user’s symbolic link, and never touches the directory it points at',
    async () => {
      const base = await runtimeDir('link-owner');
      const victim = join(base, 'victim');
      await mkdir(victim, { mode: 0o755 });
      await chmod(victim, 0o755);
      await writeFile(join(victim, 'shared.txt'), 'others need to read this');
      const link = join(base, 'rt');
      await symlink(victim, link);
      await lchown(link, OTHER_UID, OTHER_UID);
      const error = await refusal(installPlugin(await verified(), link));
      expect(error.code).toBe('UNSAFE_PATH');
      expect(error.message).toContain(
        `refusing the runtime directory ${link}: ${link}, a symbolic link on its path, is owned by uid ${OTHER_UID}`,
      );
      expect((await stat(victim)).mode & 0o7777).toBe(0o755);
      expect(await readdir(victim)).toEqual(['shared.txt']);
    },
  );

  it('follows this user’s symbolic links to a safe directory, and checks the path they lead to', async () => {
    const base = await runtimeDir('links');
    const target = join(base, 'real', 'runtime');
    await mkdir(target, { recursive: true, mode: 0o700 });
    await symlink(join(base, 'real'), join(base, 'via'));
    const installed = await installPlugin(await verified(), join(base, 'via', 'runtime'));
    expect(installed.directory.startsWith(join(await realpath(target), 'jobs') + '/')).toBe(true);

    const open = join(base, 'open');
    await mkdir(join(open, 'runtime'), { recursive: true, mode: 0o700 });
    await chmod(open, 0o777);
    await symlink(open, join(base, 'to-open'));
    const error = await refusal(installPlugin(await verified(), join(base, 'to-open', 'runtime')));
    expect(error).toMatchObject({ code: 'UNSAFE_PATH', details: { path: open, mode: 0o777 } });
    expect(await readdir(join(open, 'runtime'))).toEqual([]);
  });

  it.skipIf(!runsAsRoot)(
    'another user’s .baton above <project>/.baton/runtime cannot plant a node_modules/@baton/core that plugins import',
    async () => {
      const project = await runtimeDir('project');
      const dotBaton = join(project, '.baton');
      await mkdir(dotBaton, { mode: 0o755 });
      await chown(dotBaton, OTHER_UID, OTHER_UID);
      // What that user writes, without racing anything:
      await writeTree(join(dotBaton, 'node_modules', '@baton', 'core'), {
        'package.json': JSON.stringify({ name: '@baton/core', type: 'module', exports: './index.js' }),
        'index.js': 'globalThis.__plantedCoreRan = true;\nexport const definePlugin = (d) => d;\n',
      });
      const artifact = await tempDir('imports-core');
      await writeTree(artifact, {
        'package.json': '{ "type": "module" }\n',
        'index.js':
          "import { definePlugin } from '@baton/core';\nexport default definePlugin({ name: 'p', version: '1.0.0', register() {} });\n",
      });
      await signPluginDirectory(artifact, testKey.privateKeyPem, { name: 'p', version: '1.0.0', entry: 'index.js' });
      const runtime = join(dotBaton, 'runtime');
      const error = await refusal(loadPluginVersion(artifact, { trustedKeys: testTrusted, runtimeDirectory: runtime }));
      expect(error).toMatchObject({ code: 'UNSAFE_PATH', details: { path: dotBaton, uid: OTHER_UID } });
      expect((globalThis as { __plantedCoreRan?: boolean }).__plantedCoreRan).toBeUndefined();
      expect(await readdir(dotBaton)).toEqual(['node_modules']);
    },
  );
});
