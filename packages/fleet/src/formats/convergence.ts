import { isDeepStrictEqual, inspect } from 'node:util';
import type { CrdtKindProvider, CrdtState } from '@baton/core';
import { failed, passed } from './formatReport.js';
import type { FormatCheck } from './formatReport.js';

/** What {@link checkConvergence} samples. */
export interface ConvergenceOptions {
  /** More operation sequences (applied on both versions). */
  readonly samples: readonly (readonly unknown[])[];
  /** Pairs of sample states visited at most. */
  readonly maxStates: number;
  readonly signal: AbortSignal;
}

/**
 * Checks, on sample states, that states written by `old` and by `mixed` (the new version in phase
 * `mixed`) converge whichever version merges them: for each pair of sample op sequences (the
 * providers' `samples()` and `options.samples`),
 * - disjoint replicas: a state built on `old` (its replicas renamed `o-…`) and one built on `mixed`
 *   (`n-…`) are persisted, read by each version and merged in both orders: all four values, and
 *   the merged state re-read by the other version, must be equal;
 * - one history: the old state, read by `mixed` (a process that upgraded) and continued by the same
 *   replicas, must absorb the old state on both versions (the join is the continued state).
 *
 * Replica renaming applies to ops with a string `replica` field (every kind of `@baton/kinds`),
 * as distinct processes have distinct replica ids. No fast-check: a few hundred states at most.
 */
export async function checkConvergence(
  old: CrdtKindProvider,
  mixed: CrdtKindProvider,
  options: ConvergenceOptions,
): Promise<FormatCheck> {
  const oldSeqs = sequences(old, options);
  const newSeqs = sequences(mixed, options);
  if (oldSeqs.length === 0 || newSeqs.length === 0)
    return failed(
      `'${old.kind}': convergence is unproven: no non-empty sample (give the providers samples(), or pass samples)`,
    );
  const readers = [
    { name: 'old', provider: old },
    { name: 'new (mixed)', provider: mixed },
  ];
  let pairs = 0;
  for (const [i, oldOps] of oldSeqs.entries())
    for (const [j, newOps] of newSeqs.entries()) {
      if (pairs++ >= options.maxStates) return passed(`converged on ${pairs - 1} pairs of sample states`);
      options.signal.throwIfAborted();
      const label = `old sample ${i} with new sample ${j}`;
      let step = 'building the samples';
      try {
        const a = await build(old, relabel(oldOps, 'o'));
        const b = await build(mixed, relabel(newOps, 'n'));
        const bytesA = await a.persist();
        const bytesB = await b.persist();
        const values: [string, unknown][] = [];
        for (const { name, provider } of readers) {
          step = `merging on the ${name} version`;
          const ab = await merged(provider, bytesA, bytesB);
          const ba = await merged(provider, bytesB, bytesA);
          values.push([`${name}: a ⊔ b`, await ab.value()], [`${name}: b ⊔ a`, await ba.value()]);
          const other = provider === old ? readers[1]! : readers[0]!;
          step = `reading the ${name} version's merge on the ${other.name} version`;
          const reread = await other.provider.fromPersisted(await ab.persist());
          values.push([`${name} merge read by ${other.name}`, await reread.value()]);
        }
        const problem = differs(values);
        if (problem !== undefined) return failed(`'${old.kind}': ${label} (disjoint replicas) diverge: ${problem}`);

        step = 'continuing the old state on the new version';
        const continued = await mixed.fromPersisted(bytesA);
        for (const op of relabel(newOps, 'o')) await continued.apply(op);
        const bytesC = await continued.persist();
        const joined: [string, unknown][] = [['the continued state', await continued.value()]];
        for (const { name, provider } of readers) {
          step = `merging the continued state on the ${name} version`;
          joined.push([`${name}: old ⊔ continued`, await (await merged(provider, bytesA, bytesC)).value()]);
          joined.push([`${name}: continued ⊔ old`, await (await merged(provider, bytesC, bytesA)).value()]);
        }
        const lost = differs(joined);
        if (lost !== undefined) return failed(`'${old.kind}': ${label} (one history) diverge: ${lost}`);
      } catch (error) {
        return failed(
          `'${old.kind}': ${label}: ${step} failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
  return passed(`converged on ${pairs} pairs of sample states`);
}

function sequences(provider: CrdtKindProvider, options: ConvergenceOptions): (readonly unknown[])[] {
  const own: (readonly unknown[])[] = [];
  for (const ops of provider.samples?.() ?? []) {
    if (own.length >= options.maxStates) break;
    own.push(ops);
  }
  return [...own, ...options.samples].filter((ops) => ops.length > 0);
}

async function build(provider: CrdtKindProvider, ops: readonly unknown[]): Promise<CrdtState> {
  const state = await provider.empty();
  for (const op of ops) await state.apply(op);
  return state;
}

async function merged(provider: CrdtKindProvider, first: Uint8Array, second: Uint8Array): Promise<CrdtState> {
  const state = await provider.fromPersisted(first);
  await state.merge(await provider.fromPersisted(second));
  return state;
}

/** The ops with their `replica` ids prefixed by `side` (ops of another shape unchanged). */
function relabel(ops: readonly unknown[], side: string): unknown[] {
  return ops.map((op) => {
    const replica = (op as { replica?: unknown } | null)?.replica;
    return typeof replica === 'string' ? { ...(op as object), replica: `${side}-${replica}` } : op;
  });
}

function differs(values: readonly [string, unknown][]): string | undefined {
  const [first, expected] = values[0]!;
  const other = values.find(([, value]) => !isDeepStrictEqual(value, expected));
  return other === undefined ? undefined : `${first} = ${show(expected)} but ${other[0]} = ${show(other[1])}`;
}

function show(value: unknown): string {
  return inspect(value, { depth: 3, breakLength: Infinity, maxArrayLength: 8, maxStringLength: 60 });
}
