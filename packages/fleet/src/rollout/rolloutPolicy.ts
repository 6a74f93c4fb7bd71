import { fleetError } from '../store/fleetErrors.js';
import { checkMs, show } from '../store/checks.js';

/**
 * Limits on the figures of the members a rollout upgraded, checked by the health gate after each
 * step. A limit left out is not checked.
 */
export interface GateLimits {
  /** Failed calls each upgraded member may add since its reload began (default 0). */
  readonly failedCalls?: number;
  /** Refused reloads each upgraded member may add since its reload began (default 0). */
  readonly refusals?: number;
  /** Longest pause (the last reload's, per member), in milliseconds. */
  readonly pauseMs?: number;
  /** Largest CDC lag of a member, in milliseconds. */
  readonly cdcLagMs?: number;
}

/** The figures a {@link GateLimits} may limit. */
export const GATE_FIGURES: readonly (keyof GateLimits)[] = ['failedCalls', 'refusals', 'pauseMs', 'cdcLagMs'];

/** How a rollout moves, waits, judges and reacts. */
export interface RolloutPolicy {
  /** Members in the first step, the canary (default 1). */
  readonly canary: number;
  /** Members reloading at once in each later step (default 1). */
  readonly maxUnavailable: number;
  /**
   * Milliseconds the health gate waits after a step before it reads the upgraded members' figures
   * (default 5000). Make the members' heartbeat interval shorter than this: the gate reads figures
   * sent after the step ended, and waits for them up to `staleAfterMs`.
   */
  readonly gateWaitMs: number;
  /** Milliseconds a step's commands (or a rollback's) may take before the rollout halts (default 60 000). */
  readonly stepTimeoutMs: number;
  /** A member whose last heartbeat is older than this is lost (milliseconds, default 10 000). */
  readonly staleAfterMs: number;
  /**
   * What a lost member does to the rollout: `halt` it (and roll back), or `continue` without that
   * member (it is skipped, and left out of the gates). Default `halt`.
   */
  readonly onMemberLoss: 'halt' | 'continue';
  readonly limits: GateLimits;
}

const DEFAULTS: RolloutPolicy = {
  canary: 1,
  maxUnavailable: 1,
  gateWaitMs: 5000,
  stepTimeoutMs: 60_000,
  staleAfterMs: 10_000,
  onMemberLoss: 'halt',
  limits: { failedCalls: 0, refusals: 0 },
};

function count(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)
    throw fleetError({
      code: 'INVALID_ARGUMENT',
      fleetPhase: 'plan',
      message: `policy.${what} must be a whole number ≥ 1 (got ${show(value)})`,
    });
  return value;
}

function limit(value: unknown, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    throw fleetError({
      code: 'INVALID_ARGUMENT',
      fleetPhase: 'plan',
      message: `policy.limits.${what} must be a number ≥ 0 (got ${show(value)})`,
    });
  return value;
}

/**
 * A complete policy from a partial one (defaults for what is left out), checked: `INVALID_ARGUMENT`
 * naming the first bad setting. `limits`, when given, replaces the default limits as a whole.
 */
export function resolvePolicy(partial: Partial<RolloutPolicy> = {}): RolloutPolicy {
  const p = { ...DEFAULTS, ...partial };
  const loss: unknown = p.onMemberLoss;
  if (loss !== 'halt' && loss !== 'continue')
    throw fleetError({
      code: 'INVALID_ARGUMENT',
      fleetPhase: 'plan',
      message: `policy.onMemberLoss must be 'halt' or 'continue' (got ${show(loss)})`,
    });
  const limits: Record<string, number> = {};
  for (const name of GATE_FIGURES) {
    const value = limit((p.limits as GateLimits | undefined)?.[name], name);
    if (value !== undefined) limits[name] = value;
  }
  return {
    canary: count(p.canary, 'canary'),
    maxUnavailable: count(p.maxUnavailable, 'maxUnavailable'),
    gateWaitMs: checkMs(p.gateWaitMs, 'policy.gateWaitMs', 'plan'),
    stepTimeoutMs: checkMs(p.stepTimeoutMs, 'policy.stepTimeoutMs', 'plan'),
    staleAfterMs: checkMs(p.staleAfterMs, 'policy.staleAfterMs', 'plan'),
    onMemberLoss: loss,
    limits,
  };
}

/** The steps of a rollout over `members`: the first `canary` of them, then batches of `maxUnavailable`. */
export function planSteps(
  members: readonly string[],
  policy: Pick<RolloutPolicy, 'canary' | 'maxUnavailable'>,
): string[][] {
  const steps: string[][] = [];
  if (members.length === 0) return steps;
  steps.push(members.slice(0, policy.canary));
  for (let i = policy.canary; i < members.length; i += policy.maxUnavailable)
    steps.push(members.slice(i, i + policy.maxUnavailable));
  return steps;
}
