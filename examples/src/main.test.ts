import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const examplesDir = fileURLToPath(new URL('..', import.meta.url));
/** Children still running when a test ends (it failed): killed, so that none outlives the test. */
const running = new Set<ChildProcess>();

/** `npm start` as a child process (what `npm start` runs, without npm), with its output as it comes. */
function startDemo(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@baton/source', 'src/main.ts', ...args], {
    cwd: examplesDir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiting: {
    readonly pattern: RegExp;
    readonly resolve: (m: RegExpMatchArray) => void;
    readonly reject: (e: Error) => void;
  }[] = [];
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const w of [...waiting]) {
      const match = stdout.match(w.pattern);
      if (match) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve(match);
      }
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      resolve({ code, signal });
      // A line that never came fails its test now, with the output, instead of at the timeout.
      for (const w of waiting.splice(0))
        w.reject(new Error(`the demo exited (${code ?? signal}) without printing ${w.pattern}:\n${stdout}\n${stderr}`));
    }),
  );
  running.add(child);
  return {
    child,
    exited,
    output: () => ({ stdout, stderr }),
    /** Resolves with the first match of `pattern` in the output so far or to come. */
    line: (pattern: RegExp): Promise<RegExpMatchArray> =>
      new Promise((resolve, reject) => {
        const match = stdout.match(pattern);
        if (match) resolve(match);
        else if (child.exitCode !== null || child.signalCode !== null)
          reject(new Error(`the demo exited without printing ${pattern}:\n${stdout}\n${stderr}`));
        else waiting.push({ pattern, resolve, reject });
      }),
  };
}

/** Whether a process `pid` exists, and the pids of the processes whose parent is `pid`. */
async function processState(pid: number): Promise<{ alive: boolean; children: number[] }> {
  const children: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(join('/proc', entry, 'stat'), 'utf8').catch(() => '');
    // Fields after the command name (which may hold spaces): state, ppid, …
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === pid) children.push(Number(entry));
  }
  return { alive: existsSync(join('/proc', String(pid))), children };
}

describe('npm start as a process', () => {
  let dataDir: string;
  afterEach(async () => {
    for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    running.clear();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('Ctrl-C in the middle of the load: exits 130, the embedded PostgreSQL stopped, DuckDB closed', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'baton-demo-sigint-'));
    const demo = startDemo([
      '--no-progress',
      '--duration',
      '60',
      '--clients',
      '2',
      '--writers',
      '1',
      '--rows',
      '500',
      '--data-dir',
      dataDir,
    ]);
    const [, pgDir] = await demo.line(/\(data directory (\S+)\)/);
    await demo.line(/^load: /m);
    // The postmaster of the demo's server, from its data directory, while it runs.
    const postmaster = Number((await readFile(join(pgDir!, 'postmaster.pid'), 'utf8')).split('\n')[0]);
    expect((await processState(postmaster)).alive).toBe(true);
    expect((await processState(postmaster)).children.length).toBeGreaterThan(0);

    demo.child.kill('SIGINT');
    const exit = await demo.exited;
    const { stdout, stderr } = demo.output();
    expect(exit, `stdout:\n${stdout}\nstderr:\n${stderr}`).toEqual({ code: 130, signal: null });
    expect(stderr).toContain('Interrupted: stopping');
    // Nothing of the server is left: the postmaster, its children, its directory.
    expect(await processState(postmaster)).toEqual({ alive: false, children: [] });
    expect(existsSync(pgDir!)).toBe(false);
    // DuckDB was closed: a closed database has checkpointed its write-ahead log into the file.
    expect((await readdir(dataDir)).sort()).toEqual(['.baton-demo-data', 'artifacts', 'engine.duckdb']);
  }, 60_000);

  it('a bad option: exit code 2 and the help, before anything starts', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'baton-demo-options-'));
    const demo = startDemo(['--duration', 'soon', '--data-dir', dataDir]);
    expect(await demo.exited).toEqual({ code: 2, signal: null });
    expect(demo.output().stderr).toContain('--duration must be a number');
    expect(demo.output().stderr).toContain('--postgres-url <url>');
    expect(await readdir(dataDir)).toEqual([]);
  }, 30_000);
});
