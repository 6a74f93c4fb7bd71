import { spawn } from 'node:child_process';
import { writeSync } from 'node:fs';
import pg from 'pg';
import type { KillPlan, KillPoint } from './killPoints.js';

/** Counters a killed engine reports in its last line. */
export interface EngineCounts {
  written: number;
  skipped: number;
  confirms: number;
  reloads: number;
}

/** Writes one JSON line to stdout synchronously (it reaches the parent even if a SIGKILL follows at once). */
export function say(line: Record<string, unknown>): void {
  writeSync(
    1,
    JSON.stringify(line, (_key, value: unknown) => (typeof value === 'bigint' ? String(value) : value)) + '\n',
  );
}

/**
 * The engine's own kill switch: at the `skip + 1`-th time the engine reaches the planned point, it
 * prints where it is and SIGKILLs itself on the spot — no timing, the kill lands exactly there. A
 * planned hang stops it there instead (SIGSTOP; the trial SIGKILLs it later).
 */
export class KillSwitch {
  readonly #plan: KillPlan | undefined;
  #left: number;
  readonly counts: EngineCounts = { written: 0, skipped: 0, confirms: 0, reloads: 0 };

  constructor(plan: KillPlan | undefined) {
    this.#plan = plan;
    this.#left = plan?.skip ?? 0;
  }

  /** The engine reached `point`: dies here if this is the planned time. */
  reach(point: KillPoint): void {
    if (this.#plan?.point !== point) return;
    if (this.#left-- > 0) return;
    const hang = this.#plan.hang === true;
    say({ event: 'kill', point, skip: this.#plan.skip, hang, ...this.counts });
    if (hang) orphanGuard();
    process.kill(process.pid, hang ? 'SIGSTOP' : 'SIGKILL');
  }
}

/**
 * A stopped engine cannot notice its trial die (its stdin closing), so before it stops itself a
 * detached shell watches both: if the trial goes first, it SIGKILLs the engine; once the engine is
 * gone (the trial killed it), it exits.
 */
function orphanGuard(): void {
  const watch = `while kill -0 ${process.pid} 2>/dev/null; do kill -0 ${process.ppid} 2>/dev/null || { kill -9 ${process.pid}; exit 0; }; sleep 0.2; done`;
  spawn('sh', ['-c', watch], { detached: true, stdio: 'ignore' }).unref();
}

/**
 * Reaches `sink.beforeCommit` when a sink delivery is about to send its COMMIT: the batch's rows and
 * the moved checkpoint are written in an open transaction that the kill leaves uncommitted. Hooks
 * `pg.Client#query` of this process (the sink's pg is this one); `delivering()` says whether a sink
 * delivery is running, so the COMMIT of a checkpoint read is not taken for it.
 */
export function hookSinkCommit(kill: KillSwitch, delivering: () => boolean): void {
  const prototype = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const query = prototype.query;
  prototype.query = function (this: pg.Client, ...args: unknown[]): unknown {
    if (args[0] === 'COMMIT' && delivering()) kill.reach('sink.beforeCommit');
    return query.apply(this, args);
  };
}
