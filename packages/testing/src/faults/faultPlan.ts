import fc from 'fast-check';

/**
 * A step of a reload where a fault can be injected, and which version's code runs it:
 * - `register` (new): the new version's `register()`;
 * - `compat` (new): a CRDT `schemaCompatCheck` or logical type `compatCheck`;
 * - `persist` (old): an index handle's or CRDT state's `persist()`;
 * - `open` (new): an index provider's `open(bytes)`;
 * - `checkpoint`, `shutdown` (old): the old CDC stream;
 * - `start` (new): the new CDC provider's `start({ fromLsn })`;
 * - `fromPersisted` (new): the new CRDT provider reading migrated state;
 * - `snapshot` (old) and `adopt` (new): an index handed over by reference, before the pause;
 * - `mark`, `delta` (old) and `mergeDelta` (new): a CRDT state moved before the pause, and its delta
 *   merged inside it (`delta` and `mergeDelta` run in both places);
 * - `changed` (old): inside the pause, a mark saying whether there is a delta to merge at all.
 *
 * Steps of a kind whose providers lack the hooks (no `snapshot`, no `mark`) never fire.
 */
export type FaultStep =
  | 'register'
  | 'compat'
  | 'persist'
  | 'open'
  | 'checkpoint'
  | 'shutdown'
  | 'start'
  | 'fromPersisted'
  | 'snapshot'
  | 'adopt'
  | 'mark'
  | 'delta'
  | 'mergeDelta'
  | 'changed';

/**
 * How the step misbehaves: throws synchronously, rejects, hangs forever (ignoring its signal),
 * aborts the reload's AbortSignal and then proceeds, or returns a value of the wrong type.
 */
export type FaultMode = 'throw' | 'reject' | 'hang' | 'abort' | 'garbage';

/** Which version runs each step. */
export const faultStepRole: Readonly<Record<FaultStep, 'old' | 'new'>> = {
  register: 'new',
  compat: 'new',
  persist: 'old',
  open: 'new',
  checkpoint: 'old',
  shutdown: 'old',
  start: 'new',
  fromPersisted: 'new',
  snapshot: 'old',
  adopt: 'new',
  mark: 'old',
  delta: 'old',
  mergeDelta: 'new',
  changed: 'old',
};

/** One fault to inject into one reload. */
export interface FaultPlan {
  readonly step: FaultStep;
  readonly mode: FaultMode;
  /** Only in providers of this surface kind (e.g. `persist` of an `indexKind` handle, not of a CRDT state). */
  readonly kind?: string;
}

/** The surface kinds whose providers run each step. */
export const faultStepKinds: Readonly<Record<FaultStep, readonly string[]>> = {
  register: [],
  compat: ['crdtKind', 'logicalType'],
  persist: ['indexKind', 'crdtKind'],
  open: ['indexKind'],
  checkpoint: ['cdcOutput'],
  shutdown: ['cdcOutput'],
  start: ['cdcOutput'],
  fromPersisted: ['crdtKind'],
  snapshot: ['indexKind'],
  adopt: ['indexKind'],
  mark: ['crdtKind'],
  delta: ['crdtKind'],
  mergeDelta: ['crdtKind'],
  changed: ['crdtKind'],
};

/** Steps whose return value is used, so `garbage` is a meaningful fault there. */
const valueSteps: readonly FaultStep[] = [
  'compat',
  'persist',
  'open',
  'checkpoint',
  'start',
  'fromPersisted',
  'snapshot',
  'adopt',
  'mark',
  'delta',
  'changed',
];

/** Every step. */
export const faultSteps: readonly FaultStep[] = Object.keys(faultStepRole) as FaultStep[];

/** Options of {@link faultPlans}. */
export interface FaultPlanOptions {
  /** Steps to draw from (default: all). */
  readonly steps?: readonly FaultStep[];
  /** Modes to draw from (default: all; `hang` needs short step timeouts in the reload). */
  readonly modes?: readonly FaultMode[];
}

/** An arbitrary of fault plans: a step and a way for it to fail (`garbage` only where a value is used). */
export function faultPlans(options: FaultPlanOptions = {}): fc.Arbitrary<FaultPlan> {
  const steps = options.steps ?? faultSteps;
  const modes = options.modes ?? (['throw', 'reject', 'hang', 'abort', 'garbage'] as const);
  return fc
    .record({ step: fc.constantFrom(...steps), mode: fc.constantFrom(...modes) })
    .filter((plan) => plan.mode !== 'garbage' || valueSteps.includes(plan.step));
}

/** Human-readable form of a plan, for counterexamples. */
export function describeFault(plan: FaultPlan | undefined): string {
  if (plan === undefined) return 'no fault';
  const how = plan.mode === 'garbage' ? 'returns garbage' : plan.mode === 'hang' ? 'hangs' : plan.mode + 's';
  return `${plan.step}${plan.kind ? ` of a ${plan.kind}` : ''} ${how} (${faultStepRole[plan.step]} version)`;
}
