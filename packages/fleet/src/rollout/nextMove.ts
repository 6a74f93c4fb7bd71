import type { ArtifactRef, CommandAction, CommandError, CommandRow } from '../store/rows.js';
import type { GateViolation } from './healthGate.js';
import { FORWARD_SEQ, ROLLBACK_SEQ, commandOf } from './rolloutState.js';
import type { RolloutState } from './rolloutState.js';

/** Why a rollout halted (stored in `rollouts.halted_reason`). */
export type HaltReason =
  | {
      readonly type: 'commandFailed';
      readonly member: string;
      readonly commandId: string;
      readonly error: CommandError | null;
    }
  | { readonly type: 'memberLost'; readonly member: string }
  | { readonly type: 'stepTimeout'; readonly member: string; readonly commandId: string }
  | { readonly type: 'gateFailed'; readonly step: number; readonly violations: readonly GateViolation[] };

/** A command the coordinator is about to issue. */
export interface CommandIntent {
  readonly member: string;
  readonly seq: number;
  readonly action: CommandAction;
  readonly artifact: ArtifactRef;
  /** Issued already ended as `lost`, with this reason: the member was not live when its step came. */
  readonly skipped?: string;
}

/** How the members of a finished rollout ended up. */
export interface RolloutSummary {
  /** Members the rollout skipped or lost (`onMemberLoss: 'continue'`), or whose reload ended lost. */
  readonly skipped: readonly string[];
  /** Members rolled back (their rollback command is done). */
  readonly rolledBack: readonly string[];
  /** Members whose rollback was issued but not seen done (lost, failed, or still pending). */
  readonly unconfirmed: readonly string[];
}

/** The next thing a coordinator does for a rollout (steps are numbered from 1, the canary). */
export type RolloutMove =
  | { readonly type: 'issue'; readonly step: number | undefined; readonly commands: readonly CommandIntent[] }
  | { readonly type: 'wait'; readonly step: number | undefined; readonly commands: readonly CommandRow[] }
  | {
      readonly type: 'end';
      readonly state: 'lost' | 'cancelled';
      readonly commands: readonly CommandRow[];
      readonly reason: string;
    }
  | { readonly type: 'gate'; readonly step: number; readonly members: readonly string[] }
  | { readonly type: 'halt'; readonly reason: HaltReason }
  | { readonly type: 'finish'; readonly status: 'done' | 'halted'; readonly summary: RolloutSummary }
  | { readonly type: 'finished' };

/** What a move depends on besides the rows: liveness, and what the running coordinator remembers. */
export interface MoveView {
  /** Live members (by the database's clock). */
  readonly live: ReadonlySet<string>;
  /** Steps whose health gate this coordinator saw pass (a restarted one runs the last gate again). */
  readonly gatesPassed: ReadonlySet<number>;
  /** Commands that have waited longer than the policy's `stepTimeoutMs`. */
  readonly expired: ReadonlySet<string>;
}

const isOpen = (c: CommandRow | undefined): c is CommandRow => c?.state === 'pending' || c?.state === 'running';

/**
 * Decides what a coordinator does next with a rollout, from its state and the view alone (no I/O):
 * the runner carries the move out, folds the rows it wrote or read back into the state, and asks
 * again. A command it issues never exists in the state yet, so a coordinator resumed from the rows
 * issues none twice.
 */
export function nextMove(state: RolloutState, view: MoveView): RolloutMove {
  switch (state.status) {
    case 'running':
      return runningMove(state, view);
    case 'halting':
      return haltingMove(state, view);
    case 'done':
    case 'halted':
      return { type: 'finished' };
  }
}

function runningMove(state: RolloutState, view: MoveView): RolloutMove {
  const { plan, policy } = state;
  const forward = (m: string): CommandRow | undefined => commandOf(state, m, FORWARD_SEQ);
  const planned = plan.flat();
  for (const member of planned) {
    const c = forward(member);
    if (c?.state === 'failed') {
      const error = c.result?.outcome === 'failed' ? c.result.error : null;
      return { type: 'halt', reason: { type: 'commandFailed', member, commandId: c.id, error } };
    }
  }
  const vanished = planned.map(forward).filter((c) => isOpen(c) && !view.live.has(c.memberId)) as CommandRow[];
  if (vanished.length > 0)
    return { type: 'end', state: 'lost', commands: vanished, reason: 'the member stopped heartbeating' };
  if (policy.onMemberLoss === 'halt')
    for (const member of planned) {
      const c = forward(member);
      if (c?.state === 'lost' || (!view.live.has(member) && (c === undefined || c.state === 'done')))
        return { type: 'halt', reason: { type: 'memberLost', member } };
    }
  for (const member of planned) {
    const c = forward(member);
    if (isOpen(c) && view.expired.has(c.id))
      return { type: 'halt', reason: { type: 'stepTimeout', member, commandId: c.id } };
  }
  for (let step = 1; step <= plan.length; step++) {
    const members = plan[step - 1]!;
    const missing = members.filter((m) => forward(m) === undefined);
    if (missing.length > 0)
      return {
        type: 'issue',
        step,
        commands: missing.map((member) => ({
          member,
          seq: FORWARD_SEQ,
          action: state.action,
          artifact: state.artifact,
          ...(view.live.has(member) ? {} : { skipped: 'the member was not live when its step came' }),
        })),
      };
    const open = members.map(forward).filter(isOpen);
    if (open.length > 0) return { type: 'wait', step, commands: open };
    const nextIssued = step < plan.length && plan[step]!.some((m) => forward(m) !== undefined);
    if (!view.gatesPassed.has(step) && !nextIssued) {
      const upgraded = plan
        .slice(0, step)
        .flat()
        .filter((m) => forward(m)?.state === 'done' && view.live.has(m));
      return { type: 'gate', step, members: upgraded };
    }
  }
  return { type: 'finish', status: 'done', summary: summary(state) };
}

function haltingMove(state: RolloutState, view: MoveView): RolloutMove {
  const planned = state.plan.flat();
  const forward = planned.map((m) => commandOf(state, m, FORWARD_SEQ));
  const pending = forward.filter((c): c is CommandRow => c?.state === 'pending');
  if (pending.length > 0)
    return { type: 'end', state: 'cancelled', commands: pending, reason: 'the rollout halted before it ran' };
  const running = forward.filter((c): c is CommandRow => c?.state === 'running');
  const gone = running.filter((c) => !view.live.has(c.memberId) || view.expired.has(c.id));
  if (gone.length > 0)
    return { type: 'end', state: 'lost', commands: gone, reason: 'the member stopped heartbeating or timed out' };
  if (running.length > 0) return { type: 'wait', step: undefined, commands: running };
  const targets = planned.filter((m) => {
    const state_ = commandOf(state, m, FORWARD_SEQ)?.state;
    return (state_ === 'done' || state_ === 'lost') && commandOf(state, m, ROLLBACK_SEQ) === undefined;
  });
  if (targets.length > 0)
    return {
      type: 'issue',
      step: undefined,
      commands: targets.map((member) => ({
        member,
        seq: ROLLBACK_SEQ,
        action: 'rollback',
        artifact: state.fromArtifact,
      })),
    };
  const waiting = planned
    .map((m) => commandOf(state, m, ROLLBACK_SEQ))
    .filter((c): c is CommandRow => isOpen(c) && view.live.has(c.memberId) && !view.expired.has(c.id));
  if (waiting.length > 0) return { type: 'wait', step: undefined, commands: waiting };
  return { type: 'finish', status: 'halted', summary: summary(state) };
}

/** Who was skipped, rolled back, or not confirmed rolled back. */
export function summary(state: RolloutState): RolloutSummary {
  const planned = state.plan.flat();
  const skipped = planned.filter((m) => commandOf(state, m, FORWARD_SEQ)?.state === 'lost');
  const rollbacks = planned.flatMap((m) => commandOf(state, m, ROLLBACK_SEQ) ?? []);
  return {
    skipped,
    rolledBack: rollbacks.filter((c) => c.state === 'done').map((c) => c.memberId),
    unconfirmed: rollbacks.filter((c) => c.state !== 'done').map((c) => c.memberId),
  };
}
