import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { EngineOrders } from './engineOrders.js';

const instrumentsDir = fileURLToPath(new URL('../..', import.meta.url));
const script = fileURLToPath(new URL('./pgCrashEngine.ts', import.meta.url));

/** One line an engine printed, and when the trial read it (`at`, `performance.now()`). */
export interface EngineLine {
  readonly event: string;
  readonly at: number;
  readonly [field: string]: unknown;
}

/** How an engine process ended, and when (`performance.now()` of the trial). */
export interface EngineExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly at: number;
}

/** An engine child process (`pgCrashEngine.ts`) and the lines it printed. */
export class EngineProcess {
  readonly #child: ChildProcess;
  readonly lines: EngineLine[] = [];
  readonly exited: Promise<EngineExit>;
  #stderr = '';
  #done = false;
  #wake: (() => void) | undefined;

  constructor() {
    this.#child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@baton/source', script], {
      cwd: instrumentsDir,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.#child.stdin!.on('error', () => undefined); // a dead engine's stdin: its exit tells the story
    this.#child.stderr!.on('data', (chunk: Buffer) => (this.#stderr = (this.#stderr + chunk.toString()).slice(-4000)));
    this.exited = new Promise((resolve) => {
      this.#child.once('exit', (code, signal) => {
        this.#done = true;
        resolve({ code, signal, at: performance.now() });
        this.#wake?.();
      });
    });
    createInterface({ input: this.#child.stdout! }).on('line', (line) => {
      try {
        this.lines.push({ ...(JSON.parse(line) as EngineLine), at: performance.now() });
      } catch {
        this.lines.push({ event: 'text', line, at: performance.now() });
      }
      this.#wake?.();
    });
  }

  /** The process id. */
  get pid(): number {
    return this.#child.pid ?? -1;
  }

  /** The tail of what it wrote to stderr (for failure messages). */
  get stderr(): string {
    return this.#stderr.trim().split('\n').slice(-12).join(' | ');
  }

  /** The first line of `event` (or of any of `event`), waiting for it; undefined if the process exits first or `timeoutMs` passes. */
  async first(event: string | readonly string[], timeoutMs: number): Promise<EngineLine | undefined> {
    const events = typeof event === 'string' ? [event] : event;
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const line = this.lines.find((l) => events.includes(l.event));
      if (line || this.#done || performance.now() >= deadline) return line;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - performance.now());
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** Sends the engine its orders and where to work (it starts acquiring the slot and the sink at once). */
  go(orders: EngineOrders): void {
    this.#child.stdin!.write(JSON.stringify(orders) + '\n');
  }

  /** Lets an engine that reported `acquired` start pumping. */
  pump(): void {
    this.#child.stdin!.write('pump\n');
  }

  /** SIGKILLs the process (cleanup after a failure) and waits for it to exit. */
  async kill(): Promise<EngineExit> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGKILL');
    return this.exited;
  }
}
