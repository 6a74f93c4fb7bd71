import { isDeepStrictEqual, inspect } from 'node:util';
import type { CompatContext } from '../disciplines/discipline.js';
import { describeValue, shapeProblems } from '../disciplines/shape.js';
import type { CrdtKindProvider, CrdtState } from '../surfaces/crdtKind.js';
import { isPromiseLike } from '../util/maybePromise.js';
import { Compat, isCompatVerdict } from './verdict.js';
import type { CompatVerdict } from './verdict.js';

/**
 * The default compat check of a CRDT kind, old → new. Unlike a check of the empty state alone, it
 * visits reachable states: the empty state, the old provider's `samples()`, the context's samples
 * (hosts and @baton/testing add generated ones) and the live states. Each is persisted by the old
 * version, migrated if the new provider declares a migration, read by the new provider, and its
 * `value()` must be deeply equal. With no non-empty state to visit, compat is unproven and the
 * verdict is `incompatible`.
 */
export async function checkCrdtCompat(
  old: CrdtKindProvider,
  next: CrdtKindProvider,
  context: CompatContext,
): Promise<CompatVerdict> {
  if (context.progress)
    Object.assign(context.progress, { step: 'schemaCompatCheck', subject: `the new '${next.kind}'` });
  let declared: unknown;
  try {
    declared = next.schemaCompatCheck ? await next.schemaCompatCheck(old) : Compat.compatible();
  } catch (error) {
    return Compat.incompatible(`schemaCompatCheck() of the new '${next.kind}' threw: ${message(error)}`);
  }
  if (!isCompatVerdict(declared)) {
    return Compat.incompatible(`schemaCompatCheck() of '${next.kind}' returned something that is not a compat verdict`);
  }
  if (declared.type === 'incompatible') return declared;

  let visited = 0;
  let nonEmpty = 0;
  const visit = async (label: string, state: CrdtState, reached: boolean): Promise<string | undefined> => {
    context.signal.throwIfAborted();
    const problem = await roundTrip(label, state, next, declared, context);
    visited++;
    if (reached) nonEmpty++;
    return problem === undefined ? undefined : `'${next.kind}': ${problem}`;
  };
  const empty = await old.empty();
  let problem = context.maxStates > 0 ? await visit('the empty state', empty, false) : undefined;
  if (problem !== undefined) return Compat.incompatible(problem);
  const sequences = [...take(old.samples?.() ?? [], context.maxStates), ...context.samples];
  for (const [i, ops] of sequences.entries()) {
    if (visited >= context.maxStates) break;
    if (ops.length === 0) continue;
    const state = await old.empty();
    for (const [j, op] of ops.entries()) {
      try {
        const applied = state.apply(op);
        if (isPromiseLike(applied)) await applied;
      } catch (error) {
        return Compat.incompatible(
          `sample ${i} could not be applied to the old '${old.kind}' state at op ${j} (${show(op)}): ${message(error)}`,
        );
      }
    }
    problem = await visit(`sample ${i} (${ops.length} ops)`, state, true);
    if (problem !== undefined) return Compat.incompatible(problem);
  }
  if (context.liveResources.length > 0) {
    const emptyValue: unknown = await empty.value();
    for (const live of context.liveResources) {
      if (visited >= context.maxStates) break;
      const state = live.resource as CrdtState;
      // A live state whose value is the empty value proves nothing beyond the empty state.
      const reached = !isDeepStrictEqual(await state.value(), emptyValue);
      problem = await visit(`live state '${live.name}'`, state, reached);
      if (problem !== undefined) return Compat.incompatible(problem);
    }
  }
  if (nonEmpty === 0) {
    return Compat.incompatible(
      `'${next.kind}': compat is unproven: no non-empty reachable state was available to check ` +
        `(give the provider samples(), pass samples to the check, or open live states)`,
    );
  }
  return declared;
}

/**
 * Persists `state` with the old version, migrates it if the verdict says so, reads it with the new
 * provider and compares the values; returns the problem, if any, naming the call that failed. A
 * synchronous provider method is not awaited (a state costs no turn of the event loop per call).
 */
async function roundTrip(
  label: string,
  state: CrdtState,
  next: CrdtKindProvider,
  verdict: CompatVerdict,
  context: CompatContext,
): Promise<string | undefined> {
  const progress = context.progress;
  let step = '';
  const run = <T>(name: string, fn: () => T | PromiseLike<T>): T | PromiseLike<T> => {
    step = name;
    if (progress) {
      progress.step = name;
      progress.subject = label;
    }
    return fn();
  };
  try {
    const valued = run('value', () => state.value());
    const before: unknown = isPromiseLike(valued) ? await valued : valued;
    const persisted = run('persist', () => state.persist());
    let bytes: unknown = isPromiseLike(persisted) ? await persisted : persisted;
    if (!(bytes instanceof Uint8Array)) return `persist() of ${label} returned ${describeValue(bytes)}, not bytes`;
    if (verdict.type === 'compatibleAfterMigration') {
      const old = bytes;
      const migrated = run('migrate', () => verdict.migrate(old));
      bytes = isPromiseLike(migrated) ? await migrated : migrated;
      if (!(bytes instanceof Uint8Array))
        return `migrate() (${verdict.description}) of ${label} returned ${describeValue(bytes)}, not bytes`;
    }
    const input = bytes;
    const read = run('fromPersisted', () => next.fromPersisted(input));
    const restored = isPromiseLike(read) ? await read : read;
    const problems = shapeProblems(restored, { methods: ['apply', 'merge', 'value', 'persist'] });
    if (problems.length > 0)
      return `fromPersisted() of the new version returned no CRDT state for ${label} (${problems.join('; ')})`;
    const revalued = run('value', () => restored.value());
    const after: unknown = isPromiseLike(revalued) ? await revalued : revalued;
    if (!isDeepStrictEqual(before, after))
      return `value of ${label} changed across the round trip: ${show(before)} → ${show(after)}`;
    return undefined;
  } catch (error) {
    return `${step}() failed on ${label}: ${message(error)}`;
  }
}

function* take<T>(items: Iterable<T>, count: number): Generator<T> {
  if (count <= 0) return;
  let n = 0;
  for (const item of items) {
    yield item;
    if (++n >= count) return;
  }
}

function show(value: unknown): string {
  return inspect(value, { depth: 3, breakLength: Infinity, maxArrayLength: 8, maxStringLength: 60 });
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
