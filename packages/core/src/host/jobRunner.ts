import type { BackgroundJobProvider } from '../surfaces/backgroundJob.js';
import type { HostCore } from './hostCore.js';

interface Loop {
  readonly controller: AbortController;
  timer: ReturnType<typeof setTimeout> | undefined;
  running: Promise<void> | undefined;
}

/**
 * Runs the background jobs plugins register. Each tick resolves the job anew and holds a lease on
 * the version it runs on, so a running tick finishes on the old version during a reload and the next
 * tick runs on the new one. With `auto`, ticks are scheduled every `intervalMs`; otherwise only
 * {@link JobRunner.runOnce} runs them.
 */
export class JobRunner {
  readonly #core: HostCore;
  readonly #auto: boolean;
  readonly #loops = new Map<string, Loop>();
  readonly #ticks = new Map<string, number>();
  #stopped = false;

  constructor(core: HostCore, auto: boolean) {
    this.#core = core;
    this.#auto = auto;
  }

  /** Starts loops for newly registered jobs and stops those whose job is gone. */
  sync(): void {
    if (!this.#auto || this.#stopped) return;
    const live = new Set(this.#core.registry.entries('backgroundJob').map((entry) => entry.key));
    for (const name of live) if (!this.#loops.has(name)) this.#schedule(name, this.#newLoop(name), 0);
    for (const [name, loop] of this.#loops) if (!live.has(name)) this.#end(name, loop);
  }

  /** Runs one tick of job `name` now (after a tick already running). False when no such job. */
  async runOnce(name: string): Promise<boolean> {
    const loop = this.#loops.get(name);
    if (loop?.running) await loop.running;
    return this.#tick(name, loop?.controller.signal ?? new AbortController().signal);
  }

  /** Stops every loop, aborting running ticks, and waits for them. */
  async stop(): Promise<void> {
    this.#stopped = true;
    const running: Promise<void>[] = [];
    for (const [name, loop] of [...this.#loops]) {
      this.#end(name, loop);
      if (loop.running) running.push(loop.running);
    }
    await Promise.all(running);
  }

  #newLoop(name: string): Loop {
    const loop: Loop = { controller: new AbortController(), timer: undefined, running: undefined };
    this.#loops.set(name, loop);
    return loop;
  }

  #schedule(name: string, loop: Loop, delayMs: number): void {
    loop.timer = setTimeout(() => {
      loop.timer = undefined;
      loop.running = this.#tick(name, loop.controller.signal).then((found) => {
        loop.running = undefined;
        if (!found) {
          this.#end(name, loop);
          return;
        }
        if (loop.controller.signal.aborted) return;
        const next = this.#core.registry.lookup('backgroundJob', name)?.provider as BackgroundJobProvider | undefined;
        if (next) this.#schedule(name, loop, next.intervalMs);
      });
    }, delayMs);
    loop.timer.unref?.();
  }

  #end(name: string, loop: Loop): void {
    if (loop.timer) clearTimeout(loop.timer);
    loop.controller.abort(new DOMException(`job '${name}' stopped`, 'AbortError'));
    this.#loops.delete(name);
  }

  async #tick(name: string, signal: AbortSignal): Promise<boolean> {
    const entry = this.#core.registry.lookup('backgroundJob', name);
    if (!entry) return false;
    const provider = entry.provider as BackgroundJobProvider;
    const tick = (this.#ticks.get(name) ?? 0) + 1;
    this.#ticks.set(name, tick);
    entry.version.leases.acquire();
    try {
      await provider.tick({ signal, tick, version: entry.version.version });
    } catch (error) {
      this.#core.events.emit('jobFailed', {
        plugin: entry.slot.name,
        job: name,
        version: entry.version.version,
        error,
      });
    } finally {
      entry.version.leases.release();
    }
    return true;
  }
}
