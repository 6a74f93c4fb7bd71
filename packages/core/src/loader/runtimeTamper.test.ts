import { chmod, chown, lstat, mkdir, readFile, readdir, symlink, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { installPlugin } from './installRuntime.js';
import { loadPluginVersion } from './loadPluginVersion.js';
import { verifyPluginDirectory } from './verifyDirectory.js';
import type { VerifiedPlugin } from './verifyDirectory.js';
import {
  importDuringRepairInChild,
  jobsArtifact,
  jobsPluginFiles,
  loadInChild,
  removeRuntimeDirs,
  runtimeDir,
  testTrusted,
  writeTree,
} from './__tests__/artifactKit.js';

const HOSTILE_INDEX =
  `globalThis.__batonOrigin = 'hostile';\nexport const origin = 'hostile';\n` +
  `export default { name: 'jobs', version: '1.0.0', register(r) { r.backgroundJob({ name: 'count', intervalMs: 1000, tick() {} }); } };\n`;

/** Every file under `dir` with its bytes, for comparing an installed copy with the verified one. */
async function tree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const full = join(entry.parentPath, entry.name);
      out[full.slice(dir.length + 1)] = await readFile(full, 'utf8');
    }
  }
  return out;
}

const verifiedTree = (verified: VerifiedPlugin): Record<string, string> =>
  Object.fromEntries([...verified.files].map(([path, bytes]) => [path, new TextDecoder().decode(bytes)]));

/** The directory names in the plugin's runtime folder (copies, staging and damaged leftovers). */
const runtimeEntries = async (runtime: string): Promise<string[]> => (await readdir(join(runtime, 'jobs'))).sort();

afterAll(removeRuntimeDirs);

describe('the runtime directory is never trusted', () => {
  it('a rewritten installed index.js does not run in the next process: the copy is re-checked and repaired', async () => {
    const artifact = await jobsArtifact();
    const runtime = await runtimeDir('runtime');
    const verified = await verifyPluginDirectory(artifact, { trustedKeys: testTrusted });
    const installed = await installPlugin(verified, runtime);
    await writeFile(installed.entryPath, HOSTILE_INDEX);

    const child = await loadInChild(artifact, runtime);
    expect(child).toMatchObject({ origin: 'verified', directory: installed.directory });
    expect(child.repaired).toContain("'index.js'");
    expect(await tree(installed.directory)).toEqual(verifiedTree(verified));
    expect(await runtimeEntries(runtime)).toEqual([installed.directory.split('/').at(-1)]);
  });

  it('a pre-created directory at the predictable path with hostile content is replaced before import', async () => {
    const artifact = await jobsArtifact('1.0.0', 'verified-precreated');
    const runtime = await runtimeDir('runtime');
    const verified = await verifyPluginDirectory(artifact, { trustedKeys: testTrusted });
    const predictable = join(runtime, 'jobs', `1.0.0-${verified.digest.slice(0, 16)}`);
    await writeTree(predictable, { ...jobsPluginFiles('1.0.0', 'hostile'), 'index.js': HOSTILE_INDEX, 'extra.js': '' });
    await symlink('/etc/passwd', join(predictable, 'lib', 'link.js'));

    const loaded = await loadPluginVersion(artifact, { trustedKeys: testTrusted, runtimeDirectory: runtime });
    expect(loaded.installed!.directory).toBe(predictable);
    expect(loaded.installed!.repaired).toBeDefined();
    const module = (await import(pathToFileURL(loaded.installed!.entryPath).href)) as { origin: string };
    expect(module.origin).toBe('verified-precreated');
    expect(await tree(predictable)).toEqual(verifiedTree(verified));
    expect(await runtimeEntries(runtime)).toEqual([predictable.split('/').at(-1)]);
  });

  it('a predictable path that is a symbolic link to someone else’s directory is replaced, the target untouched', async () => {
    const artifact = await jobsArtifact('1.0.0', 'verified-link');
    const runtime = await runtimeDir('runtime');
    const hostile = await runtimeDir('hostile');
    await writeTree(hostile, { ...jobsPluginFiles('1.0.0', 'hostile'), 'index.js': HOSTILE_INDEX });
    const verified = await verifyPluginDirectory(artifact, { trustedKeys: testTrusted });
    await mkdir(join(runtime, 'jobs'), { mode: 0o700 });
    const predictable = join(runtime, 'jobs', `1.0.0-${verified.digest.slice(0, 16)}`);
    await symlink(hostile, predictable);

    const loaded = await loadPluginVersion(artifact, { trustedKeys: testTrusted, runtimeDirectory: runtime });
    expect(loaded.installed!.repaired).toBe('it is not a directory');
    expect((await lstat(predictable)).isDirectory()).toBe(true);
    const module = (await import(pathToFileURL(loaded.installed!.entryPath).href)) as { origin: string };
    expect(module.origin).toBe('verified-link');
    expect((await tree(hostile))['index.js']).toBe(HOSTILE_INDEX);
  });

  it('a torn install (a file truncated in the installed copy) is repaired on the next load instead of failing forever', async () => {
    const artifact = await jobsArtifact('1.0.0', 'verified-torn');
    const runtime = await runtimeDir('runtime');
    const verified = await verifyPluginDirectory(artifact, { trustedKeys: testTrusted });
    const installed = await installPlugin(verified, runtime);
    await truncate(join(installed.directory, 'lib', 'state.js'), 20);

    const loaded = await loadPluginVersion(artifact, { trustedKeys: testTrusted, runtimeDirectory: runtime });
    expect(loaded.installed!.repaired).toMatch(/'lib\/state.js' has another size/);
    const module = (await import(pathToFileURL(loaded.installed!.entryPath).href)) as { origin: string };
    expect(module.origin).toBe('verified-torn');
    expect(await tree(installed.directory)).toEqual(verifiedTree(verified));
  });

  it('a missing file, an extra file or an extra directory in the copy counts as damage', async () => {
    const artifact = await jobsArtifact();
    const runtime = await runtimeDir('runtime');
    const verified = await verifyPluginDirectory(artifact, { trustedKeys: testTrusted });
    const { directory } = await installPlugin(verified, runtime);
    for (const [damage, reason] of [
      [() => writeFile(join(directory, 'lib', 'extra.js'), ''), "unexpected file 'lib/extra.js'"],
      [() => mkdir(join(directory, 'node_modules')), "unexpected directory 'node_modules'"],
      [() => writeFile(join(directory, 'index.js'), ''), "'index.js' has another size"],
      [() => chmod(directory, 0o777), 'its mode is 777, not 700'],
      ...(process.getuid?.() === 0 ? ([[() => chown(directory, 4242, 4242), 'it is owned by uid 4242']] as const) : []),
    ] as const) {
      await damage();
      const again = await installPlugin(verified, runtime);
      expect(again.repaired).toContain(reason);
      expect(await tree(directory)).toEqual(verifiedTree(verified));
    }
    expect((await installPlugin(verified, runtime)).repaired).toBeUndefined(); // intact: reused as is
  });

  it('concurrent repairs in one process converge on one intact copy and leave nothing behind', async () => {
    const artifact = await jobsArtifact();
    const runtime = await runtimeDir('runtime');
    const verified = await verifyPluginDirectory(artifact, { trustedKeys: testTrusted });
    const { directory } = await installPlugin(verified, runtime);
    for (let round = 0; round < 5; round++) {
      await writeFile(join(directory, 'index.js'), HOSTILE_INDEX);
      const results = await Promise.all(Array.from({ length: 6 }, () => installPlugin(verified, runtime)));
      expect(results.every((r) => r.directory === directory)).toBe(true);
      expect(await tree(directory)).toEqual(verifiedTree(verified));
      expect(await runtimeEntries(runtime)).toEqual([directory.split('/').at(-1)]);
    }
  });

  it.each(['dir', 'load'] as const)(
    'a copy moved aside (%s) between the check and the import: the verified code runs from a private copy, swept later',
    async (mode) => {
      const artifact = await jobsArtifact('1.0.0', `verified-${mode}`);
      const runtime = await runtimeDir('runtime');
      const child = await importDuringRepairInChild(artifact, runtime, mode);
      expect(child).toMatchObject({ origin: `verified-${mode}` });
      expect(child.directory).toMatch(/\/\.1\.0\.0-[0-9a-f]{16}\.\d+\.[0-9a-f]{8}\.private$/);
      // The private copy belonged to a process that has ended: the next install removes it.
      const verified = await verifyPluginDirectory(artifact, { trustedKeys: testTrusted });
      const installed = await installPlugin(verified, runtime);
      const left = (await runtimeEntries(runtime)).filter((name) => name.endsWith('.private'));
      expect(left).toEqual([]);
      expect(await tree(installed.directory)).toEqual(verifiedTree(verified));
    },
  );

  it('processes that load while others repair the same copy all run the verified code', async () => {
    const artifact = await jobsArtifact('1.0.0', 'verified-race');
    const runtime = await runtimeDir('runtime');
    const verified = await verifyPluginDirectory(artifact, { trustedKeys: testTrusted });
    const { directory } = await installPlugin(verified, runtime);
    await writeFile(join(directory, 'index.js'), HOSTILE_INDEX);
    const children = await Promise.all(Array.from({ length: 4 }, () => loadInChild(artifact, runtime)));
    expect(children.map((child) => child.origin ?? child.error)).toEqual(Array(4).fill('verified-race'));
    expect(children.some((child) => child.repaired?.includes("'index.js'"))).toBe(true);
    expect(await tree(directory)).toEqual(verifiedTree(verified));
    // A child that lost the race may have imported a private copy (the shared one was replaced under
    // its import); the children have ended, so the next install sweeps such side directories.
    expect((await runtimeEntries(runtime)).filter((name) => !name.startsWith('.'))).toEqual([
      directory.split('/').at(-1),
    ]);
    await installPlugin(verified, runtime);
    expect(await runtimeEntries(runtime)).toEqual([directory.split('/').at(-1)]);
  });
});
