/**
 * A child program of the fleet trials (a member or a coordinator) as the driver sees it: the JSON
 * lines it printed (each stamped with when the driver read it), waits for a line, writes to its
 * stdin, signals and kills it.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const instrumentsDir = fileURLToPath(new URL('../..', import.meta.url));
const repositoryDir = join(instrumentsDir, '..');

/** The projects a child program runs code of: its sources, and the build info tsc -b writes with its dist. */
const PROJECTS = ['packages/core', 'packages/kinds', 'packages/postgres', 'packages/fleet', 'instruments'];

/** The newest modification time of the TypeScript files under `dir` that a build compiles (not tests). */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== '__tests__') newest = Math.max(newest, newestSource(path));
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
      newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * How to run `script` of this folder: its compiled JavaScript when every project it runs code of is
 * built (`npm test` builds first) and each build is newer than its sources — it starts several times
 * faster, which matters with five members starting at once on two cores — else the TypeScript
 * source through tsx.
 */
function childCommand(script: string): string[] {
  const built = join(instrumentsDir, 'dist', 'fleet', script.replace(/\.ts$/, '.js'));
  const fresh =
    existsSync(built) &&
    PROJECTS.every((project) => {
      const info = join(repositoryDir, project, 'dist', '.tsbuildinfo');
      return existsSync(info) && newestSource(join(repositoryDir, project, 'src')) <= statSync(info).mtimeMs;
    });
  return fresh
    ? [built]
    : ['--import', 'tsx', '--conditions=@baton/source', fileURLToPath(new URL(`./${script}`, import.meta.url))];
}

/** One line the child printed, and when the driver read it (`at`, `performance.now()`). */
export interface ChildLine {
  readonly event: string;
  readonly at: number;
  readonly [field: string]: unknown;
}

/** How a child ended. */
export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly at: number;
}

/** A child program of this folder (see `childCommand`). */
export class TrialChild {
  readonly name: string;
  readonly #child: ChildProcess;
  readonly lines: ChildLine[] = [];
  readonly exited: Promise<ChildExit>;
  #stderr = '';
  #done = false;
  readonly #waiters = new Set<() => void>();

  /** Starts `script` (a file of this folder) as child `name`; `onLine` hears every line as it comes. */
  constructor(name: string, script: string, onLine?: (child: TrialChild, line: ChildLine) => void) {
    this.name = name;
    this.#child = spawn(process.execPath, childCommand(script), {
      cwd: instrumentsDir,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.#child.stdin!.on('error', () => undefined); // a dead child's stdin: its exit tells the story
    this.#child.stderr!.on('data', (chunk: Buffer) => (this.#stderr = (this.#stderr + chunk.toString()).slice(-4000)));
    this.exited = new Promise((resolve) => {
      this.#child.once('exit', (code, signal) => {
        this.#done = true;
        resolve({ code, signal, at: performance.now() });
        this.#wake();
      });
    });
    createInterface({ input: this.#child.stdout! }).on('line', (text) => {
      let line: ChildLine;
      try {
        line = { ...(JSON.parse(text) as ChildLine), at: performance.now() };
      } catch {
        line = { event: 'text', text, at: performance.now() };
      }
      this.lines.push(line);
      onLine?.(this, line);
      this.#wake();
    });
  }

  /** The process id. */
  get pid(): number {
    return this.#child.pid ?? -1;
  }

  /** Whether the process has exited. */
  get done(): boolean {
    return this.#done;
  }

  /** The tail of what it wrote to stderr (for failure messages). */
  get stderr(): string {
    return this.#stderr.trim().split('\n').slice(-12).join(' | ');
  }

  /** The last line of `event`, if any. */
  last(event: string): ChildLine | undefined {
    return this.lines.findLast((line) => line.event === event);
  }

  /**
   * The first line (after index `from`) for which `match` holds, waiting for it; undefined if the
   * process exits first or `timeoutMs` passes.
   */
  async waitFor(match: (line: ChildLine) => boolean, timeoutMs: number, from = 0): Promise<ChildLine | undefined> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const line = this.lines.slice(from).find(match);
      if (line || this.#done || performance.now() >= deadline) return line;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, deadline - performance.now());
        const waiters = this.#waiters;
        function done(): void {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        }
        waiters.add(done);
      });
    }
  }

  /** The first line of `event` (after index `from`), waiting for it (see {@link waitFor}). */
  first(event: string, timeoutMs: number, from = 0): Promise<ChildLine | undefined> {
    return this.waitFor((line) => line.event === event, timeoutMs, from);
  }

  /** Like {@link first}, but throws naming the child, the event and its last words when none comes. */
  async expect(event: string, timeoutMs: number, from = 0): Promise<ChildLine> {
    const line = await this.first(event, timeoutMs, from);
    if (line) return line;
    throw new Error(
      `${this.name} did not print '${event}' within ${timeoutMs} ms${this.#done ? ' (it exited)' : ''}: last ${JSON.stringify(this.lines.at(-1))}; stderr: ${this.stderr}`,
    );
  }

  /** Writes one JSON line to its stdin. */
  send(message: unknown): void {
    this.#child.stdin!.write(JSON.stringify(message) + '\n');
  }

  /** Sends a signal (SIGSTOP, SIGCONT, …) if it still runs. */
  signal(signal: NodeJS.Signals): void {
    if (!this.#done) this.#child.kill(signal);
  }

  /** SIGKILLs the process (if it still runs) and waits for it to exit. */
  async kill(): Promise<ChildExit> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGKILL');
    return this.exited;
  }

  #wake(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }
}

/**
 * The first line any of `children` printed for which `match` holds, with its child, waiting for
 * it; undefined when `timeoutMs` passes or every child has exited without one.
 */
export async function firstOfAny(
  children: readonly TrialChild[],
  match: (line: ChildLine) => boolean,
  timeoutMs: number,
): Promise<{ readonly child: TrialChild; readonly line: ChildLine } | undefined> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    for (const child of children) {
      const line = child.lines.find(match);
      if (line) return { child, line };
    }
    const left = deadline - performance.now();
    if (left <= 0 || children.every((child) => child.done)) return undefined;
    await Promise.race(children.map((child) => child.waitFor(match, Math.min(left, 250))));
  }
}
