import type { DisciplineSet } from '../disciplines/disciplineSet.js';
import type { CompatVerdict } from '../compat/verdict.js';
import type { HandoffInput } from '../disciplines/discipline.js';
import type { ReloadPhase } from '../errors/codes.js';
import { ReloadError, toReloadError } from '../errors/reloadError.js';
import type { BoundedResult } from '../util/boundedMap.js';
import type { ProviderOf, ResourceOf, SurfaceKind } from '../surfaces/surfaceMap.js';

/** Kind-specific handoff parameters, or a function that reads them when the dispatch runs. */
export type HandoffParams = Readonly<Record<string, unknown>> | (() => Readonly<Record<string, unknown>>);

/**
 * One live resource to hand from the old version to the new one — of any kind whose discipline has
 * a `handoff`: a built-in one (typed: `ResourceHandoff<'cdcOutput'>` takes a `CdcStream` and
 * `CdcOutputProvider`s) or a host's own.
 */
export interface ResourceHandoff<K extends SurfaceKind = SurfaceKind> {
  readonly kind: K;
  /** The resource's name (unique per kind within one dispatch). */
  readonly name: string;
  /** The live resource of the old version. */
  readonly old: ResourceOf<K>;
  /** The old version's provider that made `old` (CDC and CRDT handoffs need it: to restart, to check compat). */
  readonly oldProvider?: ProviderOf<K>;
  /** The new version's provider. */
  readonly next: ProviderOf<K>;
  /**
   * What the kind's discipline reads besides the resource: a storage's `location`, a CDC stream's
   * `expectedLsn` (end of the last batch delivered) and `maxLsn`. A function is called when the
   * dispatch runs, so a host can build the dispatcher before the pause and pass fresh values.
   */
  readonly params?: HandoffParams;
}

/** A checked handoff, as the dispatcher keeps it. */
export interface CheckedHandoff {
  readonly kind: string;
  readonly name: string;
  readonly old: unknown;
  readonly oldProvider: unknown;
  readonly next: unknown;
  readonly params: HandoffParams;
}

/**
 * Checks the handoffs given to a dispatcher once: each names a kind whose discipline hands
 * resources over, has a non-empty name unique within its kind, and a new provider its discipline
 * accepts. Throws `INVALID_ARGUMENT` (or `UNKNOWN_KIND`) naming the handoff.
 */
export function checkHandoffs(disciplines: DisciplineSet, handoffs: unknown): CheckedHandoff[] {
  if (!Array.isArray(handoffs))
    throw new ReloadError({ code: 'INVALID_ARGUMENT', phase: 'dispatch', message: 'handoffs must be an array' });
  const taken = new Set<string>();
  return handoffs.map((raw: unknown, i) => {
    if (typeof raw !== 'object' || raw === null)
      throw new ReloadError({
        code: 'INVALID_ARGUMENT',
        phase: 'dispatch',
        message: `handoffs[${i}] must be an object`,
      });
    const { kind, name, old, oldProvider, next, params } = raw as Record<string, unknown>;
    if (typeof kind !== 'string' || kind.length === 0)
      throw new ReloadError({
        code: 'INVALID_ARGUMENT',
        phase: 'dispatch',
        message: `handoffs[${i}] needs a surface kind`,
      });
    if (typeof name !== 'string' || name.length === 0)
      throw invalid(kind, String(name), 'a handoff needs a non-empty name');
    const id = `${kind}\u0000${name}`;
    if (taken.has(id)) throw invalid(kind, name, 'two handoffs share this name');
    const discipline = disciplines.require(kind);
    if (!discipline.handoff) throw invalid(kind, name, `surface kind '${kind}' has no live resources to hand over`);
    const problems = discipline.validate(next);
    if (problems.length > 0)
      throw invalid(kind, name, `the new provider is not a valid ${kind}: ${problems.join('; ')}`);
    if (params !== undefined && typeof params !== 'function' && (typeof params !== 'object' || params === null))
      throw invalid(kind, name, 'params must be an object or a function returning one');
    taken.add(id);
    return { kind, name, old, oldProvider, next, params: (params ?? {}) as HandoffParams };
  });
}

/** What a discipline's `prepare` or `handoff` gets for `handoff`: its parameters read now, and its verdict. */
export function handoffInput(handoff: CheckedHandoff, verdict: CompatVerdict): HandoffInput<unknown, unknown> {
  return {
    name: handoff.name,
    old: handoff.old,
    oldProvider: handoff.oldProvider,
    next: handoff.next,
    params: paramsOf(handoff),
    verdict,
  };
}

/**
 * The error of the handoff that failed first (in time) among `results` (in the order of
 * `handoffs`), as a `ReloadError` of `phase` naming its kind and name, or undefined if none failed.
 */
export function firstFailure(
  handoffs: readonly CheckedHandoff[],
  results: readonly BoundedResult<unknown>[],
  phase: ReloadPhase,
): { readonly failed: CheckedHandoff; readonly cause: ReloadError } | undefined {
  const at = results.findIndex((r) => r.status === 'rejected' && r.order === 0);
  if (at < 0) return undefined;
  const result = results[at]!;
  const failed = handoffs[at]!;
  const cause = toReloadError(result.status === 'rejected' ? result.reason : undefined, {
    code: 'HANDOFF_FAILED',
    phase,
    kind: failed.kind,
    key: failed.name,
  });
  return { failed, cause };
}

/** The parameters of `handoff`, read now. */
export function paramsOf(handoff: CheckedHandoff): Readonly<Record<string, unknown>> {
  return typeof handoff.params === 'function' ? handoff.params() : handoff.params;
}

function invalid(kind: string, name: string, message: string): ReloadError {
  return new ReloadError({
    code: 'INVALID_ARGUMENT',
    phase: 'dispatch',
    kind,
    key: name,
    message: `${kind} '${name}': ${message}`,
  });
}
