import { isDeepStrictEqual } from 'node:util';
import { Compat, isCompatVerdict } from '@baton/core';
import { checkCrdtCompat } from '@baton/core/kit';
import type { CompatVerdict, CrdtKindProvider } from '@baton/core';
import fc from 'fast-check';
import { replicaPlans, stateOf, stateOfPlan } from '../arbitraries/crdtOps.js';
import type { OpSource } from '../arbitraries/crdtOps.js';
import { fail, show } from './describe.js';
import { assertParameters } from './runOptions.js';
import type { RunOptions } from './runOptions.js';

/** Options of {@link assertCrdtCompat}. */
export interface CrdtCompatOptions<OldOp, NewOp> extends RunOptions {
  /** Operations of the OLD kind: they reach the old states that must survive (see {@link OpSource}). */
  readonly ops: OpSource<OldOp>;
  /** Operations of the NEW kind: migrated states must still merge with new-version states. */
  readonly newOps?: OpSource<NewOp>;
  /** Replicas whose merged states are checked (default 3). */
  readonly replicas?: number;
  /** Operations per replica at most (default 12). */
  readonly maxOps?: number;
}

/**
 * Proves a new CRDT version can take over the old one's state: for generated reachable old states
 * (never only the empty one), persist with the old version, migrate as the new version declares,
 * read with the new version: `value()` must be equal. With `newOps`, a migrated state must merge
 * with new-version states commutatively and keep its value when merged with the new empty state.
 * Finally the host's own check (`checkCrdtCompat` of @baton/core) must agree on the same states.
 * Throws a readable counterexample (kind, operations, values) otherwise.
 */
export async function assertCrdtCompat<OldOp, NewOp, V>(
  oldProvider: CrdtKindProvider<OldOp, V>,
  newProvider: CrdtKindProvider<NewOp, V>,
  options: CrdtCompatOptions<OldOp, NewOp>,
): Promise<CompatVerdict> {
  const kind = `${oldProvider.kind} (format ${oldProvider.formatVersion ?? '?'} → ${newProvider.formatVersion ?? '?'})`;
  const declared = newProvider.schemaCompatCheck
    ? await newProvider.schemaCompatCheck(oldProvider)
    : Compat.compatible();
  if (!isCompatVerdict(declared)) fail(`${kind}: schemaCompatCheck() returned ${show(declared)}, not a compat verdict`);
  if (declared.type === 'incompatible')
    fail(`${kind}: the new version declares itself incompatible: ${declared.reason}`);
  const plans = replicaPlans(options.ops, { replicas: options.replicas ?? 3, maxOps: options.maxOps ?? 12 }).filter(
    (plan) => plan.some((ops) => ops.length > 0),
  );
  // New-version ops come from other replicas than the old states' (n0, n1, …), as after a rolling upgrade.
  const newPlans = options.newOps
    ? replicaPlans(options.newOps, { replicas: 1, maxOps: options.maxOps ?? 12, idPrefix: 'n' }).map(
        ([ops]) => ops ?? [],
      )
    : fc.constant([] as NewOp[]);
  const samples: OldOp[][] = [];
  await fc.assert(
    fc.asyncProperty(plans, newPlans, async (ops, newOps) => {
      if (samples.length < 64 && ops[0]!.length > 0) samples.push(ops[0]!);
      const old = await stateOfPlan(oldProvider, ops);
      const before = await old.value();
      let bytes = await old.persist();
      if (declared.type === 'compatibleAfterMigration') {
        try {
          bytes = await declared.migrate(bytes);
        } catch (error) {
          fail(
            `${kind}: migration '${declared.description}' failed`,
            `old ops ${show(ops)}`,
            `error: ${String(error)}`,
          );
        }
      }
      let migrated;
      try {
        migrated = await newProvider.fromPersisted(bytes);
      } catch (error) {
        fail(
          `${kind}: the new version cannot read a state of the old one`,
          `old ops ${show(ops)}`,
          `old value ${show(before)}`,
          `error: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      const after = await migrated.value();
      if (!isDeepStrictEqual(before, after))
        fail(
          `${kind}: value changed across the handoff`,
          `old ops ${show(ops)}`,
          `before ${show(before)}`,
          `after  ${show(after)}`,
        );
      if (!options.newOps) return;
      const fresh = await stateOf(newProvider, newOps);
      const other = await stateOf(newProvider, newOps);
      await migrated.merge(fresh);
      await other.merge(await newProvider.fromPersisted(bytes));
      if (!isDeepStrictEqual(await migrated.value(), await other.value())) {
        fail(
          `${kind}: a migrated state does not merge commutatively with new-version states`,
          `old ops ${show(ops)}`,
          `new ops ${show(newOps)}`,
          `merge(migrated, new) = ${show(await migrated.value())}`,
          `merge(new, migrated) = ${show(await other.value())}`,
        );
      }
      const withEmpty = await newProvider.fromPersisted(bytes);
      await withEmpty.merge(await newProvider.empty());
      if (!isDeepStrictEqual(await withEmpty.value(), after))
        fail(`${kind}: merging a migrated state with the new empty state changed it`, `old ops ${show(ops)}`);
    }),
    assertParameters(options),
  );
  const hostVerdict = await checkCrdtCompat(oldProvider, newProvider, {
    kind: 'crdtKind',
    key: oldProvider.kind,
    signal: new AbortController().signal,
    timeoutMs: 60_000,
    samples,
    liveResources: [],
    maxStates: samples.length + 64,
  });
  if (hostVerdict.type === 'incompatible') fail(`${kind}: the host's compat check disagrees: ${hostVerdict.reason}`);
  return declared;
}
