import { reloadEventNames } from '@baton/core';
import { Random } from '@baton/examples/engine';

/**
 * Where the engine can be killed. Reload phases are the host's own events (`rolledBack` is left out:
 * no reload fails here); the handoff steps are seen by the CDC output's tap (`tappedOutput.ts`)
 * while a reload runs; the delivery points frame one batch's way from the slot to the sink and back.
 */
export const killPoints = [
  // A reload, in phase order (the host's events).
  ...reloadEventNames.filter((name) => name !== 'rolledBack'),
  // The CDC handoff inside a reload: the old stream's checkpoint was read, it was shut down (its writer
  // lock released), the new version's stream started (lock taken, generation bumped) — not yet committed.
  'handoff.checkpoint',
  'handoff.shutdown',
  'handoff.start',
  // One batch: before the managed stream's deliver; inside the sink's transaction, its rows and
  // checkpoint written but COMMIT not sent; after the sink committed, before the pump's checkpoint;
  // after the checkpoint was read, before the slot was confirmed; after the slot was confirmed.
  'deliver.before',
  'sink.beforeCommit',
  'deliver.after',
  'confirm.before',
  'confirm.after',
] as const;

/** One kill point. */
export type KillPoint = (typeof killPoints)[number];

/**
 * One round's kill: at the `skip + 1`-th time the engine reaches `point`. With `hang` the engine
 * stops itself there (SIGSTOP) instead, its connections open, as a hung or partitioned engine would
 * be: the next engine must find the slot busy and the sink `LOCKED` and wait; the trial SIGKILLs the
 * hung one once the next one is seen waiting.
 */
export interface KillPlan {
  readonly point: KillPoint;
  readonly skip: number;
  readonly hang?: boolean;
}

/** Whether a point is reached once per batch (so it comes often) rather than once per reload. */
function isDeliveryPoint(point: KillPoint): boolean {
  return point.startsWith('deliver.') || point.startsWith('confirm.') || point.startsWith('sink.');
}

/**
 * A seeded plan of `rounds` kills: each a random point (every point equally likely), reached a random
 * number of times first (0–2 reloads in, or 0–29 batches in), one in three a hang. The same seed gives
 * the same plan, so a failing round can be replayed (`runPgCrashTrial({ plan })`).
 */
export function killPlan(rounds: number, seed: number, points: readonly KillPoint[] = killPoints): KillPlan[] {
  const random = new Random(seed);
  return Array.from({ length: rounds }, () => {
    const point = points[random.int(points.length)]!;
    return { point, skip: random.int(isDeliveryPoint(point) ? 30 : 3), hang: random.int(3) === 0 };
  });
}

/** A kill as text: `point+skip`, `point+skip hang`. */
export function formatKill(kill: KillPlan): string {
  return `${kill.point}+${kill.skip}${kill.hang === true ? ' hang' : ''}`;
}

/** A plan as text, printed with every report so a failure can be replayed. */
export function formatPlan(plan: readonly KillPlan[]): string {
  return plan.map(formatKill).join(', ');
}
