import type { GateReading, GateViolation } from './healthGate.js';
import type { HaltReason, RolloutSummary } from './nextMove.js';

/** How a rollout ended (what `FleetCoordinator.rollout` resolves with). */
export interface RolloutOutcome {
  readonly rolloutId: string;
  readonly plugin: string;
  readonly fromVersion: string;
  readonly toVersion: string;
  /** `done`: every planned member moved (bar those `continue` skipped); `halted`: rolled back. */
  readonly status: 'done' | 'halted';
  /** Why it halted. */
  readonly reason: HaltReason | undefined;
  readonly summary: RolloutSummary;
  /** Steps in the plan (the canary is step 1). */
  readonly steps: number;
  /** Whether this coordinator resumed a rollout another one (or an earlier run) had started. */
  readonly resumed: boolean;
  /** Milliseconds this coordinator ran the rollout. */
  readonly ms: number;
  /** PostgreSQL statements this coordinator sent for the rollout (each one round trip). */
  readonly roundTrips: number;
}

/** The events of a `FleetCoordinator`, by name. */
export interface FleetCoordinatorEvents {
  /** A rollout starts, or resumes from its rows. */
  started: {
    readonly rolloutId: string;
    readonly plugin: string;
    readonly fromVersion: string;
    readonly toVersion: string;
    readonly plan: readonly (readonly string[])[];
    readonly resumed: boolean;
  };
  /** A step's commands were issued (or a resumed coordinator found the step under way: `resumed`). */
  stepStarted: {
    readonly rolloutId: string;
    readonly step: number;
    readonly steps: number;
    readonly members: readonly string[];
    readonly resumed: boolean;
  };
  /** A health gate judged the upgraded members' figures. */
  gate: {
    readonly rolloutId: string;
    readonly step: number;
    readonly passed: boolean;
    readonly readings: readonly GateReading[];
    readonly violations: readonly GateViolation[];
  };
  /**
   * A step ended and its gate passed: how long it took and the PostgreSQL round trips the
   * coordinator spent on it (issuing, waiting, the gate's reads).
   */
  stepDone: {
    readonly rolloutId: string;
    readonly step: number;
    readonly steps: number;
    readonly members: readonly string[];
    readonly ms: number;
    readonly roundTrips: number;
  };
  /** The rollout halts (a failed or refused command, a failed gate, a lost member, a timeout). */
  halted: { readonly rolloutId: string; readonly plugin: string; readonly reason: HaltReason };
  /**
   * A halted rollout's rollback ended; `reason` is why it halted (also for a rollout resumed while
   * halting, whose coordinator never emitted `halted`), `undefined` only when no reason was stored.
   */
  rolledBack: {
    readonly rolloutId: string;
    readonly plugin: string;
    readonly reason: HaltReason | undefined;
    readonly summary: RolloutSummary;
  };
  /** A rollout ended with every planned member moved. */
  done: RolloutOutcome;
}
