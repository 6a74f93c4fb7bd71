import type { ReloadTimings } from '@baton/core';

/**
 * Where a plugin version's artifact is, as the fleet passes it around (stored as JSON in `rollouts`
 * and `commands`): its `version`, and whatever the engine's `loadArtifact` needs to load it — a
 * verified directory's `location`, a `digest`. Only JSON values.
 */
export interface ArtifactRef {
  readonly version: string;
  readonly location?: string;
  readonly [field: string]: unknown;
}

/** What a member reports with each heartbeat (`members.figures`). */
export interface MemberFigures {
  /** Calls on the serving version of the plugin (`PluginStats.calls`; it starts at 0 with each version). */
  readonly calls: number;
  /** Calls the engine's clients saw fail, since the member joined (from the engine's `figures()`). */
  readonly failedCalls: number;
  /** Reloads of the plugin the host refused (rolled back), since the plugin was loaded. */
  readonly refusals: number;
  /** Milliseconds the plugin's gate was closed in its last reload. */
  readonly lastPauseMs: number;
  /** The largest CDC lag of the plugin's streams, in milliseconds (checkpoint or source lag). */
  readonly cdcLagMs: number;
}

/** A `members` row: one engine process serving one plugin. */
export interface MemberRow {
  readonly id: string;
  readonly plugin: string;
  /** The plugin version it serves (null while none is loaded). */
  readonly version: string | null;
  readonly pid: number | null;
  readonly host: string | null;
  readonly joinedAt: Date;
  /** Its last heartbeat, by the database's clock. */
  readonly heartbeatAt: Date;
  readonly leftAt: Date | null;
  readonly figures: MemberFigures;
}

/** What a command does on its member: reload to an artifact, roll back to one, or switch a format. */
export type CommandAction = 'reload' | 'rollback' | 'format';

/**
 * Where a command stands. `pending` → `running` (claimed by the member's agent) → `done` or
 * `failed`; `lost` when its member vanished (or restarted) with the outcome unknown; `cancelled`
 * when the coordinator withdrew it before any agent claimed it.
 */
export type CommandState = 'pending' | 'running' | 'done' | 'failed' | 'lost' | 'cancelled';

/** The error of a failed command, as stored. */
export interface CommandError {
  readonly code: string;
  /** The reload phase (`ReloadError.phase`), when the host's reload failed. */
  readonly phase: string | null;
  /** The fleet phase or provider call (`ReloadError.step`). */
  readonly step: string | null;
  readonly message: string;
  /** The plugin version the member serves after the failure (null when none is loaded). */
  readonly stillServing: string | null;
}

/** The timings of one surface kind's handoffs in a reload: how many, and their total milliseconds. */
export interface HandoffSummary {
  readonly count: number;
  readonly ms: number;
}

/** What a command's end recorded (`commands.result`). */
export type CommandResult =
  | {
      readonly outcome: 'done';
      /** The version the member serves after the command. */
      readonly version: string;
      /** Set when nothing had to be done (the member already served the artifact's version). */
      readonly skipped?: string;
      readonly timings?: ReloadTimings;
      /** Handoffs by surface kind. */
      readonly handoffs?: Readonly<Record<string, HandoffSummary>>;
      /** The member's figures when it claimed the command: the gate's baseline. */
      readonly before?: MemberFigures;
    }
  | { readonly outcome: 'failed'; readonly error: CommandError; readonly before?: MemberFigures }
  | { readonly outcome: 'lost' | 'cancelled'; readonly reason: string };

/** A `commands` row. */
export interface CommandRow {
  readonly id: string;
  readonly rolloutId: string;
  readonly memberId: string;
  /** 1 for the rollout's forward command of a member, 2 for its rollback. */
  readonly seq: number;
  readonly action: CommandAction;
  readonly artifact: ArtifactRef;
  readonly state: CommandState;
  readonly issuedAt: Date;
  readonly startedAt: Date | null;
  readonly endedAt: Date | null;
  readonly result: CommandResult | null;
}

/**
 * Where a rollout stands: `running`, `halting` (a failure was seen: rolling back), then `done` or
 * `halted` (rolled back). At most one rollout per plugin is `running` or `halting`.
 */
export type RolloutStatus = 'running' | 'halting' | 'done' | 'halted';

/** A `rollouts` row. */
export interface RolloutRow {
  readonly id: string;
  readonly plugin: string;
  /** The forward command: `reload` to the new artifact, or `format` (a reload of the same one). */
  readonly action: 'reload' | 'format';
  readonly fromVersion: string;
  readonly toVersion: string;
  readonly fromArtifact: ArtifactRef;
  readonly artifact: ArtifactRef;
  /** The policy the rollout runs with (see `RolloutPolicy`). */
  readonly policy: Readonly<Record<string, unknown>>;
  /** The steps, decided when the rollout was made: member ids, the canary first. */
  readonly plan: readonly (readonly string[])[];
  readonly state: RolloutStatus;
  /** Where it stands, in words (`step 2/3`, `gate 2/3`, `rolling back`). */
  readonly phase: string;
  readonly haltedReason: Readonly<Record<string, unknown>> | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}
