/**
 * A member's planned death or freeze: armed by the driver with a point (a reload phase of the
 * host's, or a point of a CDC delivery) and how many times to pass it first; at that point the
 * member prints where it is and SIGKILLs itself — or, for a freeze, SIGSTOPs itself with everything
 * open (a zombie: the driver SIGCONTs it later and it carries on from exactly there). No timing
 * decides where. One shot: once fired, it is disarmed.
 */
import { spawn } from 'node:child_process';
import { say } from '../pgCrash/killSwitch.js';

/** Where a member can die or freeze: a reload event, or a point of one CDC batch's delivery. */
export type MemberPoint =
  | 'started'
  | 'compatChecked'
  | 'prepared'
  | 'quiesced'
  | 'drained'
  | 'dispatched'
  | 'committed'
  | 'retired'
  | 'deliver.before'
  | 'deliver.after';

/** The driver's plan for one member. */
export interface MemberPlan {
  readonly point: MemberPoint;
  /** Times to pass the point first. */
  readonly skip: number;
  /** SIGKILL (default) or SIGSTOP (a zombie). */
  readonly action: 'kill' | 'freeze';
}

/** The switch; `reach(point)` at every point the member passes. */
export class MemberSwitch {
  #plan: MemberPlan | undefined;
  #left = 0;

  /** Arms the switch (replacing an armed plan). */
  arm(plan: MemberPlan): void {
    this.#plan = plan;
    this.#left = plan.skip;
  }

  /** The member reached `point`: dies or freezes here if this is the planned time (and returns after a SIGCONT). */
  reach(point: MemberPoint, detail: Readonly<Record<string, unknown>> = {}): void {
    const plan = this.#plan;
    if (plan?.point !== point) return;
    if (this.#left-- > 0) return;
    this.#plan = undefined;
    say({ event: plan.action === 'kill' ? 'kill' : 'freeze', point, ...detail });
    if (plan.action === 'freeze') orphanGuard();
    process.kill(process.pid, plan.action === 'kill' ? 'SIGKILL' : 'SIGSTOP');
    if (plan.action === 'freeze') say({ event: 'thawed', point, ...detail });
  }
}

/**
 * A stopped member cannot notice its driver die (its stdin closing), so before it stops itself a
 * detached shell watches both: if the driver goes first, it SIGKILLs the member; once the member is
 * gone, it exits.
 */
function orphanGuard(): void {
  const watch = `while kill -0 ${process.pid} 2>/dev/null; do kill -0 ${process.ppid} 2>/dev/null || { kill -9 ${process.pid}; exit 0; }; sleep 0.2; done`;
  spawn('sh', ['-c', watch], { detached: true, stdio: 'ignore' }).unref();
}
