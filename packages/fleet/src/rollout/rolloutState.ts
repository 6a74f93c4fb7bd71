import type { CommandRow, CommandState, RolloutRow, RolloutStatus } from '../store/rows.js';
import { resolvePolicy } from './rolloutPolicy.js';
import type { RolloutPolicy } from './rolloutPolicy.js';

/**
 * A rollout as its rows say: what it moves where, its policy and plan, where it stands, and the
 * latest known image of each of its commands. Rebuilt by folding its rows through
 * {@link rolloutReducer} — a restarted coordinator gets the state the crashed one had, minus what
 * was never a row (which gates passed, how long commands have waited).
 */
export interface RolloutState extends Pick<
  RolloutRow,
  'id' | 'plugin' | 'action' | 'fromVersion' | 'toVersion' | 'fromArtifact' | 'artifact' | 'plan' | 'haltedReason'
> {
  /** The row's policy with its defaults (see {@link resolvePolicy}). */
  readonly policy: RolloutPolicy;
  /** The row's `state`. */
  readonly status: RolloutStatus;
  /** The rollout's commands by id. */
  readonly commands: ReadonlyMap<string, CommandRow>;
}

/** One row image the reducer takes: the rollout's row, or one of its commands' rows. */
export type RolloutEvent =
  { readonly type: 'rollout'; readonly row: RolloutRow } | { readonly type: 'command'; readonly row: CommandRow };

/** Forward commands carry seq 1, rollbacks seq 2 (one of each per member and rollout at most). */
export const FORWARD_SEQ = 1;
/** The seq of a member's rollback command. */
export const ROLLBACK_SEQ = 2;

const STATUS_RANK: Readonly<Record<RolloutStatus, number>> = { running: 0, halting: 1, done: 2, halted: 2 };
const COMMAND_RANK: Readonly<Record<CommandState, number>> = {
  pending: 0,
  running: 1,
  done: 2,
  failed: 2,
  lost: 2,
  cancelled: 2,
};

/** The state of a rollout from its row alone (no commands yet). */
export function initialRolloutState(row: RolloutRow): RolloutState {
  return {
    id: row.id,
    plugin: row.plugin,
    action: row.action,
    fromVersion: row.fromVersion,
    toVersion: row.toVersion,
    fromArtifact: row.fromArtifact,
    artifact: row.artifact,
    policy: resolvePolicy(row.policy),
    plan: row.plan,
    status: row.state,
    haltedReason: row.haltedReason,
    commands: new Map(),
  };
}

/**
 * The one reducer of rollout state. Rows only move forward — a rollout from `running` to `halting`
 * to `done` or `halted`, a command from `pending` to `running` to an end — so an image is taken
 * when it is further along than the one known, and ignored otherwise: the result does not depend on
 * the order images arrive in, nor on how many intermediate images were seen. Folding the final rows
 * on start gives the state the live coordinator had built from every image it wrote or read.
 * Images of other rollouts are ignored.
 */
export function rolloutReducer(state: RolloutState, event: RolloutEvent): RolloutState {
  switch (event.type) {
    case 'rollout': {
      if (event.row.id !== state.id || STATUS_RANK[event.row.state] <= STATUS_RANK[state.status]) return state;
      return { ...state, status: event.row.state, haltedReason: event.row.haltedReason };
    }
    case 'command': {
      const command = event.row;
      if (command.rolloutId !== state.id) return state;
      const known = state.commands.get(command.id);
      if (known !== undefined && COMMAND_RANK[command.state] <= COMMAND_RANK[known.state]) return state;
      const commands = new Map(state.commands);
      commands.set(command.id, command);
      return { ...state, commands };
    }
  }
}

/** Folds a rollout's row and its commands' rows into its state. */
export function foldRollout(row: RolloutRow, commands: readonly CommandRow[]): RolloutState {
  return commands.reduce(
    (state, command) => rolloutReducer(state, { type: 'command', row: command }),
    initialRolloutState(row),
  );
}

/** The command of `member` with `seq` in `state` (its forward command, or its rollback). */
export function commandOf(state: RolloutState, member: string, seq: number): CommandRow | undefined {
  for (const command of state.commands.values()) if (command.memberId === member && command.seq === seq) return command;
  return undefined;
}
