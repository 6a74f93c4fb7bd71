import { verifyPluginDirectory } from '@baton/core/loader';
import type { TrustedKey } from '@baton/core/loader';
import { listMembers } from '../members/listMembers.js';
import type { MemberStatus } from '../members/listMembers.js';
import { checkId } from '../store/checks.js';
import { fleetError, toFleetError } from '../store/fleetErrors.js';
import type { Queryable } from '../store/queryable.js';
import type { ArtifactRef } from '../store/rows.js';
import { planSteps, resolvePolicy } from './rolloutPolicy.js';
import type { RolloutPolicy } from './rolloutPolicy.js';

/** What a pre-flight hook gets: the rollout about to be made, before any process moves. */
export interface PreflightContext {
  /** The coordinator's connection (its session holds the plugin's rollout lock). */
  readonly client: Queryable;
  readonly schema: string;
  readonly plugin: string;
  readonly action: 'reload' | 'format';
  readonly from: ArtifactRef;
  readonly to: ArtifactRef;
  /** The plugin's live members. */
  readonly members: readonly MemberStatus[];
  /** The steps the rollout will take (member ids, the canary first). */
  readonly plan: readonly (readonly string[])[];
  readonly signal: AbortSignal;
}

/** A rollout to run (or to resume, when one of the plugin to the same version is active). */
export interface RolloutRequest {
  readonly plugin: string;
  /** The version the members run now: what a halt rolls them back to. */
  readonly from: ArtifactRef;
  /** The version to roll out. */
  readonly to: ArtifactRef;
  /** `reload` (default), or `format`: a reload of the same artifact that switches a format. */
  readonly action?: 'reload' | 'format';
  readonly policy?: Partial<RolloutPolicy>;
  /**
   * Runs before the rollout is made, after the plan: a throw refuses the rollout and no process
   * moves (the formats module's compat checks plug in here). A `ReloadError` is passed on as it is;
   * anything else becomes `PROVIDER_FAILED`.
   */
  readonly preflight?: (context: PreflightContext) => Promise<void>;
  /** When given, both artifacts' `location` directories are verified (`verifyPluginDirectory`) first. */
  readonly trustedKeys?: readonly TrustedKey[];
  readonly signal?: AbortSignal;
}

/** A request's checked parts. */
export interface CheckedRequest {
  readonly plugin: string;
  readonly action: 'reload' | 'format';
  readonly policy: RolloutPolicy;
}

/** Checks a rollout request's shape and policy: `INVALID_ARGUMENT` naming what is wrong. */
export function checkRequest(request: RolloutRequest): CheckedRequest {
  const plugin = checkId(request.plugin, 'plugin', 'plan');
  const action: unknown = request.action ?? 'reload';
  if (action !== 'reload' && action !== 'format')
    throw fleetError({
      code: 'INVALID_ARGUMENT',
      fleetPhase: 'plan',
      plugin,
      message: `action must be 'reload' or 'format'`,
    });
  for (const [name, ref] of [
    ['from', request.from as unknown],
    ['to', request.to as unknown],
  ] as const)
    if (typeof ref !== 'object' || ref === null || typeof (ref as { version?: unknown }).version !== 'string')
      throw fleetError({
        code: 'INVALID_ARGUMENT',
        fleetPhase: 'plan',
        plugin,
        message: `${name} must be an artifact ref with a version`,
      });
  if (action === 'reload' && request.from.version === request.to.version)
    throw fleetError({
      code: 'INVALID_ARGUMENT',
      fleetPhase: 'plan',
      plugin,
      message: `a reload rollout needs two versions (both are ${request.to.version})`,
    });
  return { plugin, action, policy: resolvePolicy(request.policy) };
}

/**
 * Everything before a rollout's row is made, while no process has moved: the artifacts verified
 * (with `trustedKeys`), the plugin's live members read and checked (each must run a version the
 * rollout knows), the plan made, the pre-flight hook run. Returns the plan.
 */
export async function prepareRollout(
  client: Queryable,
  schema: string,
  request: RolloutRequest,
  { plugin, action, policy }: CheckedRequest,
  signal: AbortSignal,
): Promise<string[][]> {
  if (request.trustedKeys !== undefined) await verifyArtifacts(request, request.trustedKeys, plugin);
  const members = await listMembers(client, { plugin, staleAfterMs: policy.staleAfterMs, liveOnly: true, schema });
  const plan = planSteps(targets(members, request, action, plugin), policy);
  if (request.preflight === undefined) return plan;
  try {
    await request.preflight({
      client,
      schema,
      plugin,
      action,
      from: request.from,
      to: request.to,
      members,
      plan,
      signal,
    });
  } catch (error) {
    throw toFleetError(
      error,
      'preflight',
      `the pre-flight of plugin '${plugin}' refused the rollout`,
      'PROVIDER_FAILED',
    );
  }
  return plan;
}

/** The members to move: the live ones on `from` (all of them for `format`). */
function targets(
  members: readonly MemberStatus[],
  request: RolloutRequest,
  action: 'reload' | 'format',
  plugin: string,
): string[] {
  if (members.length === 0)
    throw fleetError({
      code: 'INVALID_ARGUMENT',
      fleetPhase: 'plan',
      plugin,
      message: `plugin '${plugin}' has no live member`,
    });
  const known = action === 'reload' ? [request.from.version, request.to.version] : [request.to.version];
  const strangers = members.filter((m) => m.version === null || !known.includes(m.version));
  if (strangers.length > 0)
    throw fleetError({
      code: 'INVALID_ARGUMENT',
      fleetPhase: 'plan',
      plugin,
      message: `members run a version the rollout does not know (${known.join(' or ')} expected): ${strangers
        .map((m) => `${m.id} (${m.version ?? 'none'})`)
        .join(', ')}`,
    });
  return members.filter((m) => action === 'format' || m.version === request.from.version).map((m) => m.id);
}

async function verifyArtifacts(
  request: RolloutRequest,
  trustedKeys: readonly TrustedKey[],
  plugin: string,
): Promise<void> {
  for (const ref of [request.from, request.to]) {
    if (typeof ref.location !== 'string')
      throw fleetError({
        code: 'INVALID_ARGUMENT',
        fleetPhase: 'preflight',
        plugin,
        message: `artifact ${ref.version} has no location to verify`,
      });
    const verified = await verifyPluginDirectory(ref.location, { trustedKeys });
    if (verified.manifest.version !== ref.version || verified.manifest.name !== plugin)
      throw fleetError({
        code: 'VERIFICATION_FAILED',
        fleetPhase: 'preflight',
        plugin,
        message: `the artifact at ${ref.location} is ${verified.manifest.name} ${verified.manifest.version}, not ${plugin} ${ref.version}`,
      });
  }
}
