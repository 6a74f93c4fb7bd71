import { isDeepStrictEqual, inspect } from 'node:util';
import type { CompatContext } from '../disciplines/discipline.js';
import { describeValue, shapeProblems } from '../disciplines/shape.js';
import type { CrdtKindProvider, CrdtState } from '../surfaces/crdtKind.js';
import { Compat, isCompatVerdict } from './verdict.js';
import type { CompatVerdict } from './verdict.js';

/** A state to check, and how it was reached (for the reason of an incompatible verdict). */
interface LabelledState {
  readonly label: string;
  readonly state: CrdtState;
  /** False only for the empty state: the one state a check must not stop at. */
  readonly reached: boolean;
}

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
  for await (const item of reachableStates(old, context)) {
    if ('reason' in item) return Compat.incompatible(item.reason);
    if (visited >= context.maxStates) break;
    context.signal.throwIfAborted();
    const problem = await roundTrip(item, next, declared, context);
    if (problem !== undefined) return Compat.incompatible(`'${next.kind}': ${problem}`);
    visited++;
    if (item.reached) nonEmpty++;
  }
  if (nonEmpty === 0) {
    return Compat.incompatible(
      `'${next.kind}': compat is unproven: no non-empty reachable state was available to check ` +
        `(give the provider samples(), pass samples to the check, or open live states)`,
    );
  }
  return declared;
}

/** Yields the states to visit, or a reason when a sample cannot be applied to the old kind. */
async function* reachableStates(
  old: CrdtKindProvider,
  context: CompatContext,
): AsyncGenerator<LabelledState | { reason: string }> {
  const empty = await old.empty();
  const emptyValue: unknown = await empty.value();
  yield { label: 'the empty state', state: empty, reached: false };
  const sequences = [...take(old.samples?.() ?? [], context.maxStates), ...context.samples];
  for (const [i, ops] of sequences.entries()) {
    if (ops.length === 0) continue;
    const state = await old.empty();
    for (const [j, op] of ops.entries()) {
      try {
        await state.apply(op);
      } catch (error) {
        yield {
          reason: `sample ${i} could not be applied to the old '${old.kind}' state at op ${j} (${show(op)}): ${message(error)}`,
        };
        return;
      }
    }
    yield { label: `sample ${i} (${ops.length} ops)`, state, reached: true };
  }
  for (const live of context.liveResources) {
    const state = live.resource as CrdtState;
    // A live state whose value is the empty value proves nothing beyond the empty state.
    yield { label: `live state '${live.name}'`, state, reached: !isDeepStrictEqual(await state.value(), emptyValue) };
  }
}

async function roundTrip(
  item: LabelledState,
  next: CrdtKindProvider,
  verdict: CompatVerdict,
  context: CompatContext,
): Promise<string | undefined> {
  const at = (step: string): void => {
    if (context.progress) Object.assign(context.progress, { step, subject: item.label });
  };
  const call = async <T>(step: string, fn: () => T | PromiseLike<T>): Promise<T> => {
    at(step);
    try {
      return await fn();
    } catch (error) {
      throw new StepFailure(`${step}() failed on ${item.label}: ${message(error)}`);
    }
  };
  try {
    const before: unknown = await call('value', () => item.state.value());
    let bytes = await call('persist', () => item.state.persist());
    if (!(bytes instanceof Uint8Array)) return `persist() of ${item.label} returned ${describeValue(bytes)}, not bytes`;
    if (verdict.type === 'compatibleAfterMigration') {
      const persisted = bytes;
      bytes = await call('migrate', () => verdict.migrate(persisted));
      if (!(bytes instanceof Uint8Array))
        return `migrate() (${verdict.description}) of ${item.label} returned ${describeValue(bytes)}, not bytes`;
    }
    const migrated = bytes;
    const restored = await call('fromPersisted', () => next.fromPersisted(migrated));
    const problems = shapeProblems(restored, { methods: ['apply', 'merge', 'value', 'persist'] });
    if (problems.length > 0)
      return `fromPersisted() of the new version returned no CRDT state for ${item.label} (${problems.join('; ')})`;
    const after: unknown = await call('value', () => restored.value());
    if (!isDeepStrictEqual(before, after))
      return `value of ${item.label} changed across the round trip: ${show(before)} → ${show(after)}`;
    return undefined;
  } catch (error) {
    if (error instanceof StepFailure) return error.message;
    throw error;
  }
}

/** A provider call of the check failed: the reason names the call. */
class StepFailure extends Error {}

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
