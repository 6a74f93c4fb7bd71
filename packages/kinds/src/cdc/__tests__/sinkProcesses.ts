/** Test helper: spawns `sinkProcess.ts` in a separate Node process and talks to it line by line. */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** A line the child printed. */
export interface ChildReply {
  readonly pid: number;
  readonly event: 'ready' | 'started' | 'refused' | 'shutdown';
  readonly round?: number;
  readonly code?: string;
  readonly message?: string;
  readonly details?: { readonly holder?: { readonly pid: number; readonly host: string; readonly since: string } };
}

const script = fileURLToPath(new URL('./sinkProcess.ts', import.meta.url));
const packageDir = fileURLToPath(new URL('../../..', import.meta.url));

/** A child process running `sinkProcess.ts`. */
export class SinkProcess {
  readonly #child: ChildProcess;
  readonly #replies: ChildReply[] = [];
  readonly #waiters: (() => void)[] = [];
  readonly exited: Promise<number | null>;
  #stderr = '';

  private constructor() {
    this.#child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@baton/source', script], {
      cwd: packageDir,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.exited = new Promise((resolve) =>
      this.#child.once('exit', (code) => {
        resolve(code);
      }),
    );
    this.#child.stderr!.on('data', (chunk: Buffer) => (this.#stderr += chunk.toString()));
    createInterface({ input: this.#child.stdout! }).on('line', (line) => {
      this.#replies.push(JSON.parse(line) as ChildReply);
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  /** Spawns a child and waits until it is ready. */
  static async spawn(): Promise<SinkProcess> {
    const child = new SinkProcess();
    await child.next((r) => r.event === 'ready');
    return child;
  }

  get pid(): number {
    return this.#child.pid!;
  }

  /** Sends a command (see `sinkProcess.ts`). */
  send(command: { op: 'start' | 'handoff'; dir: string; round: number } | { op: 'shutdown'; round: number }): void {
    this.#child.stdin!.write(`${JSON.stringify(command)}\n`);
  }

  /** The first reply (received or to come) matching `match`; it is consumed. */
  async next(match: (reply: ChildReply) => boolean): Promise<ChildReply> {
    for (;;) {
      const index = this.#replies.findIndex(match);
      if (index >= 0) return this.#replies.splice(index, 1)[0]!;
      const ended = await Promise.race([
        new Promise<false>((resolve) =>
          this.#waiters.push(() => {
            resolve(false);
          }),
        ),
        this.exited.then(() => true),
      ]);
      if (ended && !this.#replies.some(match))
        throw new Error(`sink process ${this.pid} exited without the expected reply; stderr: ${this.#stderr}`);
    }
  }

  /** Kills the child with `signal` and waits until it has exited (and was reaped). */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    this.#child.kill(signal);
    await this.exited;
  }

  /** Closes stdin: the child exits normally. */
  async end(): Promise<void> {
    this.#child.stdin!.end();
    await this.exited;
  }
}
