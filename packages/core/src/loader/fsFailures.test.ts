import { execFile } from 'node:child_process';
import { chmod, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { isReloadError } from '../errors/reloadError.js';
import { installPlugin } from './installRuntime.js';
import { loadPluginVersion } from './loadPluginVersion.js';
import { SIGNATURE_FILE } from './manifest.js';
import { signPluginDirectory } from './signArtifact.js';
import { verifyPluginDirectory } from './verifyDirectory.js';
import {
  jobsArtifact,
  jobsPluginFiles,
  loadInChild,
  removeRuntimeDirs,
  runtimeDir,
  tempDir,
  testKey,
  testTrusted,
  writeTree,
} from './__tests__/artifactKit.js';

const NOBODY = 65534;
const runsAsRoot = process.getuid?.() === 0;

/** Whether this machine lets the tests mount a small tmpfs (root with CAP_SYS_ADMIN). */
async function canMountTmpfs(): Promise<boolean> {
  if (!runsAsRoot) return false;
  const dir = await tempDir('mount-probe');
  try {
    await promisify(execFile)('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', dir]);
    await promisify(execFile)('umount', [dir]);
    return true;
  } catch {
    return false;
  }
}
const mountable = await canMountTmpfs();
afterAll(removeRuntimeDirs);

/** Expects a ReloadError with `code` whose message names `path` and whose cause is the system error `errno`. */
async function expectFsError(promise: Promise<unknown>, code: string, path: string, errno: readonly string[]) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isReloadError(error), String(error)).toBe(true);
  expect(error).toMatchObject({ code, message: expect.stringContaining(path) });
  expect(errno).toContain((error as { cause?: { code?: string } }).cause?.code);
}

describe('file-system failures are ReloadErrors naming the path and the cause', () => {
  it('a runtime directory that is a file, or below a file (EEXIST, ENOTDIR)', async () => {
    const verified = await verifyPluginDirectory(await jobsArtifact(), { trustedKeys: testTrusted });
    const file = join(await runtimeDir('fs'), 'file');
    await writeFile(file, '');
    await expectFsError(installPlugin(verified, file), 'IO_FAILED', file, ['EEXIST', 'ENOTDIR']);
    await expectFsError(installPlugin(verified, join(file, 'sub')), 'IO_FAILED', join(file, 'sub'), ['ENOTDIR']);
  });

  it('signing over a signature path that is a directory (EISDIR)', async () => {
    const dir = await tempDir('fs');
    await writeTree(dir, jobsPluginFiles('1.0.0'));
    await mkdir(join(dir, SIGNATURE_FILE));
    await expectFsError(
      signPluginDirectory(dir, testKey.privateKeyPem, { name: 'jobs', version: '1.0.0', entry: 'index.js' }),
      'IO_FAILED',
      join(dir, SIGNATURE_FILE),
      ['EISDIR'],
    );
  });

  it.skipIf(!runsAsRoot)('permission denied, as another user in a second process (EACCES)', async () => {
    const artifact = await jobsArtifact();
    await chmod(artifact, 0o755);
    await chmod(join(artifact, 'lib'), 0o755);
    const closed = await runtimeDir('closed');
    await chmod(closed, 0o755); // others may enter but not create
    const denied = await loadInChild(artifact, join(closed, 'runtime'), { uid: NOBODY });
    expect(denied.error).toMatchObject({
      code: 'IO_FAILED',
      message: expect.stringContaining(join(closed, 'runtime')),
    });
    expect(denied.error?.message).toContain('EACCES');

    await chmod(join(artifact, 'lib', 'state.js'), 0o600);
    const unreadable = await loadInChild(artifact, await runtimeDir('runtime'), { uid: NOBODY });
    expect(unreadable.error).toMatchObject({
      code: 'VERIFICATION_FAILED',
      message: expect.stringContaining(`reading 'lib/state.js' at ${join(artifact, 'lib', 'state.js')} failed: EACCES`),
    });
  });

  it.skipIf(!mountable)('a full file system while installing (ENOSPC) leaves no staging directory behind', async () => {
    const runtime = await runtimeDir('full');
    await promisify(execFile)('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', runtime]);
    try {
      const artifact = await tempDir('big-artifact');
      await writeTree(artifact, { ...jobsPluginFiles('1.0.0'), 'data.bin': 'x'.repeat(256 * 1024) });
      await signPluginDirectory(artifact, testKey.privateKeyPem, { name: 'jobs', version: '1.0.0', entry: 'index.js' });
      const error = await loadPluginVersion(artifact, { trustedKeys: testTrusted, runtimeDirectory: runtime }).catch(
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ code: 'IO_FAILED', message: expect.stringContaining('ENOSPC') });
      expect((error as Error).message).toContain(join(runtime, 'jobs'));
      expect(await readdir(join(runtime, 'jobs'))).toEqual([]);
    } finally {
      await promisify(execFile)('umount', [runtime]);
    }
  });
});
