import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { signPluginDirectory } from '../signArtifact.js';
import { generateSigningKey, trustedKey } from '../signing.js';

/** One signing key for the loader and CLI tests. */
export const testKey = generateSigningKey();
export const testTrusted = [trustedKey(testKey.publicKeyPem)];

/** A fresh temporary directory (under the system's temporary directory: not for runtime directories). */
export function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `baton-${prefix}-`));
}

/**
 * Where the tests' runtime directories live: a gitignored folder of this package (made 0700), since
 * a runtime directory under a shared directory such as /tmp is refused (`UNSAFE_PATH`).
 */
const runtimeBase = fileURLToPath(new URL('../../../.baton-runtime/tests/', import.meta.url));

/** A fresh directory (0700) in {@link runtimeBase}, for runtime directories and what surrounds them. */
export async function runtimeDir(prefix: string): Promise<string> {
  await mkdir(runtimeBase, { recursive: true, mode: 0o700 });
  const dir = await mkdtemp(join(runtimeBase, `${prefix}-`));
  madeRuntimeDirs.add(dir);
  return dir;
}

const madeRuntimeDirs = new Set<string>();

/** Removes the directories {@link runtimeDir} made in this process (call it in `afterAll`). */
export async function removeRuntimeDirs(): Promise<void> {
  for (const dir of madeRuntimeDirs) await rm(dir, { recursive: true, force: true });
  madeRuntimeDirs.clear();
}

/** Writes `files` (path → text) under `dir`. */
export async function writeTree(dir: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
}

/**
 * The code of a self-contained plugin `jobs` (one background job `count`) whose module exports
 * `origin` and sets `globalThis.__batonOrigin` to it when it runs: which code ran. `lib/state.js` is a relative import.
 */
export function jobsPluginFiles(version: string, origin = 'verified'): Record<string, string> {
  return {
    'package.json': '{ "type": "module" }\n',
    'lib/state.js': `export const origin = ${JSON.stringify(origin)};\nexport let ticks = 0;\nexport function tick() { ticks++; return ticks; }\n`,
    'index.js':
      `import { tick, origin as libOrigin } from './lib/state.js';\n` +
      `export const origin = libOrigin;\n` +
      `globalThis.__batonOrigin = libOrigin;\n` +
      `export default { name: 'jobs', version: '${version}', register(r) { r.backgroundJob({ name: 'count', intervalMs: 1000, tick() { tick(); } }); } };\n`,
  };
}

/** A signed artifact of {@link jobsPluginFiles}. */
export async function jobsArtifact(version = '1.0.0', origin = 'verified'): Promise<string> {
  const dir = await tempDir(`artifact-${version}`);
  await writeTree(dir, jobsPluginFiles(version, origin));
  await signPluginDirectory(dir, testKey.privateKeyPem, {
    name: 'jobs',
    version,
    entry: 'index.js',
    surfaces: [{ kind: 'backgroundJob', key: 'count' }],
  });
  return dir;
}

const packageRoot = fileURLToPath(new URL('../../../', import.meta.url));
const loadScript = fileURLToPath(new URL('./loadInChild.ts', import.meta.url));
const raceScript = fileURLToPath(new URL('./importRaceChild.ts', import.meta.url));

/** What {@link loadInChild} reports: the `origin` export of the imported module, and the install. */
export interface ChildLoad {
  readonly origin?: string;
  readonly directory?: string;
  readonly repaired?: string | null;
  readonly error?: { code?: string; message: string };
}

/**
 * Loads `artifact` with `loadPluginVersion` in a second Node process (through tsx, from the
 * TypeScript sources) and returns what it imported. `uid` runs it as that user.
 */
export async function loadInChild(
  artifact: string,
  runtime: string,
  options: { uid?: number; script?: string; args?: string[] } = {},
): Promise<ChildLoad> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', options.script ?? loadScript, artifact, runtime, testKey.publicKeyPem, ...(options.args ?? [])],
    { cwd: packageRoot, ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.uid }) },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as ChildLoad;
}

/**
 * Imports `artifact` in a second process while the shared copy is moved aside between the check of
 * the copy and the import (`dir`), or a file of it between Node's resolution and its read (`load`),
 * as a concurrent repair does.
 */
export function importDuringRepairInChild(artifact: string, runtime: string, mode: 'dir' | 'load'): Promise<ChildLoad> {
  return loadInChild(artifact, runtime, { script: raceScript, args: [mode] });
}
