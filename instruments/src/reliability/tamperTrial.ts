import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  generateSigningKey,
  installPlugin,
  signPluginDirectory,
  trustedKey,
  verifyPluginDirectory,
} from '@baton/core/loader';

const run = promisify(execFile);
const instrumentsDir = fileURLToPath(new URL('../..', import.meta.url));
const child = fileURLToPath(new URL('./tamperChild.ts', import.meta.url));

/** What the runtime-tampering trial saw. */
export interface TamperTrialResult {
  readonly rounds: number;
  readonly processes: number;
  /** Loads made by engine processes (rounds × processes). */
  readonly loads: number;
  /** Loads that ran the hostile code instead of the signed one. */
  readonly hostileRuns: number;
  /** Loads that failed. */
  readonly failedLoads: number;
  /** Loads that found the installed copy damaged and replaced it from the verified bytes. */
  readonly repairs: number;
  /** Entries left in the plugin's runtime folder besides the one copy (staging, damaged copies). */
  readonly leftovers: number;
  /** How the copy was damaged before each round, by kind. */
  readonly damage: Readonly<Record<string, number>>;
  readonly failures: readonly string[];
}

const HOSTILE = `globalThis.__batonOrigin = 'hostile';\nexport default { name: 'tamper', version: '1.0.0', register() {} };\n`;
const DAMAGE = ['rewrite', 'truncate', 'precreate', 'symlink'] as const;

/**
 * A signed plugin is installed into a runtime directory; before each round its installed copy is
 * damaged the way an attacker with write access or a crash would (index.js rewritten with hostile
 * code, a file truncated, the predictable directory pre-created with hostile content, or replaced
 * by a symbolic link to a hostile directory), then `processes` engine processes load the untouched
 * signed artifact at once. The signed code must run every time, every load must succeed, and one
 * intact copy must remain.
 */
export async function runTamperTrial(options: { rounds: number; processes: number }): Promise<TamperTrialResult> {
  const root = await mkdtemp(join(tmpdir(), 'baton-tamper-'));
  // The runtime directory lives in a folder of this workspace: one under /tmp is refused (UNSAFE_PATH).
  const runtimeParent = join(instrumentsDir, '.baton-runtime');
  await mkdir(runtimeParent, { recursive: true, mode: 0o700 });
  const runtimeHome = await mkdtemp(join(runtimeParent, 'tamper-'));
  const result = { loads: 0, hostileRuns: 0, failedLoads: 0, repairs: 0, leftovers: 0 };
  const damage: Record<string, number> = {};
  const failures: string[] = [];
  try {
    const artifact = join(root, 'artifact');
    await mkdir(artifact);
    await writeFile(join(artifact, 'package.json'), '{"type":"module"}\n');
    await writeFile(
      join(artifact, 'index.js'),
      `globalThis.__batonOrigin = 'signed';\nexport default { name: 'tamper', version: '1.0.0', register() {} };\n`,
    );
    const key = generateSigningKey();
    await signPluginDirectory(artifact, key.privateKeyPem, { name: 'tamper', version: '1.0.0', entry: 'index.js' });
    const keyFile = join(root, 'trust.pub');
    await writeFile(keyFile, key.publicKeyPem);
    const runtime = join(runtimeHome, 'runtime');
    const verified = await verifyPluginDirectory(artifact, { trustedKeys: [trustedKey(key.publicKeyPem)] });
    const { directory } = await installPlugin(verified, runtime);
    const hostileDir = join(root, 'hostile');
    await mkdir(hostileDir);
    await writeFile(join(hostileDir, 'package.json'), '{"type":"module"}\n');
    await writeFile(join(hostileDir, 'index.js'), HOSTILE);

    for (let round = 0; round < options.rounds; round++) {
      const how = DAMAGE[round % DAMAGE.length]!;
      damage[how] = (damage[how] ?? 0) + 1;
      if (how === 'rewrite') await writeFile(join(directory, 'index.js'), HOSTILE);
      if (how === 'truncate') await truncate(join(directory, 'index.js'), 10);
      if (how === 'precreate' || how === 'symlink') {
        await rm(directory, { recursive: true, force: true });
        if (how === 'symlink') await symlink(hostileDir, directory);
        else {
          await mkdir(directory, { mode: 0o700 });
          await writeFile(join(directory, 'package.json'), '{"type":"module"}\n');
          await writeFile(join(directory, 'index.js'), HOSTILE);
          await writeFile(join(directory, 'extra.js'), '');
        }
      }
      const loads = await Promise.all(
        Array.from({ length: options.processes }, () =>
          run(process.execPath, ['--import', 'tsx', '--conditions=@baton/source', child, artifact, runtime, keyFile], {
            cwd: instrumentsDir,
          }).then(
            ({ stdout }) => JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>,
            (error: unknown): Record<string, unknown> => ({ error: String(error) }),
          ),
        ),
      );
      for (const load of loads) {
        result.loads++;
        if (load['origin'] === 'hostile') result.hostileRuns++;
        if (load['error'] !== undefined || load['origin'] !== 'signed') {
          result.failedLoads++;
          if (failures.length < 5) failures.push(`round ${round} (${how}): ${JSON.stringify(load)}`);
        }
        if (load['repaired'] === true) result.repairs++;
      }
      const entries = await readdir(join(runtime, 'tamper'));
      result.leftovers += entries.length - 1;
    }
  } finally {
    await rm(root, { recursive: true, force: true });
    await rm(runtimeHome, { recursive: true, force: true });
  }
  if (result.hostileRuns > 0) failures.push(`hostile code ran ${result.hostileRuns} times`);
  if (result.leftovers > 0) failures.push(`${result.leftovers} leftover entries in the runtime folder`);
  return { rounds: options.rounds, processes: options.processes, ...result, damage, failures };
}
