import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { reloadEventNames } from '@baton/core';
import { bundlePluginDirectory, generateSigningKey } from '@baton/core/loader';
import { Random, pluginModules, pluginsDirectory } from '@baton/examples/engine';

const instrumentsDir = fileURLToPath(new URL('../..', import.meta.url));

/** What a node reported after recovering. */
export interface VerifyResult {
  readonly writes: number;
  readonly inSink: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly extra: number;
  readonly ordered: boolean;
  readonly indexMismatches: number;
  readonly visits: number;
  readonly expectedVisits: number;
  readonly version: string;
}

/** Options of {@link runCrashTrials}. */
export interface CrashTrialOptions {
  readonly trials: number;
  readonly dataDir: string;
  readonly seed: number;
  /** Verify every this many trials (default 5), besides the end. */
  readonly verifyEvery?: number;
  readonly onTrial?: (trial: number, killedAt: string) => void;
}

/** What the trials did and found. */
export interface CrashReport {
  readonly trials: number;
  readonly kills: Readonly<Record<string, number>>;
  readonly reloadsCommitted: number;
  readonly reloadsRefused: number;
  readonly verifications: readonly VerifyResult[];
  readonly failures: readonly string[];
}

/** The reload events a node prints (`phase <name>`): the points a trial may kill it at. */
const PHASES = reloadEventNames;

/**
 * Bundles and signs v1, a v2 that migrates g-counter, compatible 2.0.x versions and an incompatible
 * v3 (bundled artifacts, as the demo's: the nodes load them outside Node's module map).
 */
async function prepareCrashArtifacts(dataDir: string): Promise<void> {
  const root = join(dataDir, 'artifacts');
  await mkdir(root, { recursive: true });
  const key = generateSigningKey();
  const versions = ['1.0.0', '2.0.0', '2.0.1', '2.0.2', '2.0.3', '3.0.0'];
  for (const version of versions) {
    const source = version === '1.0.0' ? 'geo-search-v1' : version === '3.0.0' ? 'geo-search-v3' : 'geo-search-v2';
    const staged = join(root, 'sources', version);
    await cp(join(pluginsDirectory, source), staged, { recursive: true });
    for (const file of ['index.js', 'baton-plugin.json']) {
      const path = join(staged, file);
      await writeFile(path, (await readFile(path, 'utf8')).replace(/(['"])\d\.0\.0\1/, `$1${version}$1`));
    }
    await bundlePluginDirectory(staged, join(root, version), {
      privateKeyPem: key.privateKeyPem,
      external: Object.keys(pluginModules),
    });
  }
  await writeFile(join(root, 'versions.json'), JSON.stringify(versions));
  await writeFile(join(root, 'trusted.pub'), key.publicKeyPem);
}

/**
 * How to run a node: the compiled JavaScript when the instruments and the example engine are built and
 * both builds are newer than the node's sources (it starts several times faster), else the TypeScript source through tsx.
 */
function nodeCommand(): string[] {
  const built = join(instrumentsDir, 'dist', 'crash', 'crashNode.js');
  const examplesDir = join(pluginsDirectory, '..');
  const builtEngine = join(examplesDir, 'dist', 'engine', 'index.js');
  const files = (dir: string): string[] => readdirSync(dir).map((f) => join(dir, f));
  const sources = [...files(join(instrumentsDir, 'src', 'crash')), ...files(join(examplesDir, 'src', 'engine'))];
  const fresh =
    existsSync(built) &&
    existsSync(builtEngine) &&
    sources.every((file) => statSync(file).mtimeMs <= Math.min(statSync(built).mtimeMs, statSync(builtEngine).mtimeMs));
  return fresh
    ? [built]
    : ['--import', 'tsx', '--conditions=@baton/source', join(instrumentsDir, 'src', 'crash', 'crashNode.ts')];
}

interface NodeRun {
  readonly lines: string[];
  readonly killedAt: string;
  readonly code: number | null;
  readonly stderr: string;
}

/** Starts a node; kills it (SIGKILL) when `killWhen` says so, or lets it finish. */
function runNode(args: string[], killWhen?: (line: string) => boolean, timeoutMs = 20_000): Promise<NodeRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeCommand(), ...args], {
      cwd: instrumentsDir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    let killedAt = '';
    let stderr = '';
    const kill = (at: string): void => {
      if (killedAt) return;
      killedAt = at;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => {
      kill('timeout');
    }, timeoutMs);
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      if (killWhen?.(line)) kill(line);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ lines, killedAt, code, stderr });
    });
  });
}

/**
 * Crash trials: start a node, kill it with SIGKILL at a random point of a random reload (or of an
 * operation), restart it (it recovers), again and again; verify what survived every few trials and at
 * the end. A verification passes when no committed CDC batch is missing from the sink or present
 * twice, the index answers as when it was built, and the CRDT holds every committed update.
 */
export async function runCrashTrials(options: CrashTrialOptions): Promise<CrashReport> {
  await rm(options.dataDir, { recursive: true, force: true });
  await prepareCrashArtifacts(options.dataDir);
  const runtime = join(instrumentsDir, '.baton-runtime', 'crash');
  const base = ['--data', options.dataDir, '--runtime', runtime, '--seed', String(options.seed)];
  const random = new Random(options.seed);
  const kills: Record<string, number> = {};
  const verifications: VerifyResult[] = [];
  const failures: string[] = [];
  let committed = 0;
  let refused = 0;
  const verify = async (when: string): Promise<void> => {
    const result = await runNode([...base, '--mode', 'verify']);
    const line = result.lines.find((l) => l.startsWith('result '));
    if (!line) {
      failures.push(
        `${when}: verify produced no result (exit ${result.code}): ${result.stderr.trim().split('\n').slice(-3).join(' | ')}`,
      );
      return;
    }
    const v = JSON.parse(line.slice('result '.length)) as VerifyResult;
    verifications.push(v);
    if (v.lost || v.duplicated || v.extra || !v.ordered || v.indexMismatches || v.visits !== v.expectedVisits)
      failures.push(`${when}: ${line}`);
  };
  for (let trial = 1; trial <= options.trials; trial++) {
    // Kill at a random reload phase (its n-th occurrence), or after a random number of operations.
    const phase = random.next() < 0.8 ? PHASES[random.int(PHASES.length)]! : 'op';
    let countdown = random.int(phase === 'op' ? 40 : 3);
    const run = await runNode([...base, '--mode', 'run'], (line) => {
      if (line.startsWith('reloaded')) committed++;
      if (line.startsWith('refused')) refused++;
      const matches = phase === 'op' ? line.startsWith('op ') : line === `phase ${phase}`;
      return matches && countdown-- <= 0;
    });
    if (!run.killedAt)
      failures.push(
        `trial ${trial}: the node exited by itself (code ${run.code}): ${run.stderr.trim().split('\n').slice(-3).join(' | ')}`,
      );
    const at = run.killedAt.startsWith('phase ')
      ? run.killedAt.slice(6)
      : run.killedAt.startsWith('op ')
        ? 'operation'
        : run.killedAt;
    kills[at] = (kills[at] ?? 0) + 1;
    options.onTrial?.(trial, at);
    if (trial % (options.verifyEvery ?? 5) === 0 && trial < options.trials) await verify(`after trial ${trial}`);
  }
  await verify('at the end');
  return {
    trials: options.trials,
    kills,
    reloadsCommitted: committed,
    reloadsRefused: refused,
    verifications,
    failures,
  };
}
