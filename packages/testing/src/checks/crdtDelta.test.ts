import type { CrdtKindProvider, CrdtMark, CrdtState } from '@baton/core';
import { gCounter, lwwRegister, orSet, pnCounter } from '@baton/kinds';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { referenceOps } from '../arbitraries/crdtOps.js';
import { assertCrdtDelta } from './crdtDelta.js';

type SetOp = { readonly add: string } | { readonly remove: string };
type Bug =
  | 'forgetsRemovals'
  | 'deltaAfterRelease'
  | 'sumsCounts'
  | 'dropsHiddenTombstones'
  | 'neverChanged'
  | 'changedAfterRelease';

/**
 * A two-phase set (adds and tombstones, both grow-only) with deltas, honest unless `bug` says:
 * the delta forgets removals; a released mark still answers; counts of adds are summed on merge
 * (not idempotent); mergeDelta drops tombstones of elements never added (same value, other bytes);
 * the mark's `changed()` always says nothing changed, or still answers once released.
 */
function twoPhaseSet(bug?: Bug): CrdtKindProvider<SetOp, string[]> {
  const make = (adds = new Map<string, number>(), removed = new Set<string>()): CrdtState<SetOp, string[]> => {
    const marks = new Set<{ adds: Set<string>; removed: Set<string> }>();
    const add = (x: string, n: number): void => {
      adds.set(x, bug === 'sumsCounts' ? (adds.get(x) ?? 0) + n : Math.max(adds.get(x) ?? 0, n));
      for (const m of marks) m.adds.add(x);
    };
    const remove = (x: string): void => {
      removed.add(x);
      for (const m of marks) m.removed.add(x);
    };
    const state = {
      adds,
      removed,
      apply(op: SetOp) {
        if ('remove' in op) {
          remove(op.remove);
          return;
        }
        adds.set(op.add, (adds.get(op.add) ?? 0) + 1);
        for (const m of marks) m.adds.add(op.add);
      },
      merge(other: CrdtState<SetOp, string[]>) {
        const o = other as unknown as { adds: Map<string, number>; removed: Set<string> };
        for (const [x, n] of o.adds) add(x, n);
        for (const x of o.removed) remove(x);
      },
      value: () => [...adds.keys()].filter((x) => !removed.has(x)).sort(),
      persist: () =>
        new TextEncoder().encode(JSON.stringify([[...adds].sort(), [...removed].sort()], (_k, v: unknown) => v)),
      mark(): CrdtMark {
        const tracked = { adds: new Set<string>(), removed: new Set<string>() };
        marks.add(tracked);
        let open = true;
        return {
          delta() {
            if (!open && bug !== 'deltaAfterRelease') throw new Error('released');
            const entries = [...tracked.adds].map((x) => [x, adds.get(x)!]);
            const gone = bug === 'forgetsRemovals' ? [] : [...tracked.removed];
            return new TextEncoder().encode(JSON.stringify([entries, gone]));
          },
          changed() {
            if (!open && bug !== 'changedAfterRelease') throw new Error('released');
            return bug !== 'neverChanged' && (tracked.adds.size > 0 || tracked.removed.size > 0);
          },
          release() {
            open = false;
            marks.delete(tracked);
          },
        };
      },
      mergeDelta(bytes: Uint8Array) {
        const [entries, gone] = JSON.parse(new TextDecoder().decode(bytes)) as [[string, number][], string[]];
        for (const [x, n] of entries) add(x, n);
        for (const x of gone) if (bug !== 'dropsHiddenTombstones' || adds.has(x)) remove(x);
      },
    };
    return state;
  };
  return {
    kind: 'two-phase-set',
    empty: () => make(),
    fromPersisted(bytes) {
      const [a, r] = JSON.parse(new TextDecoder().decode(bytes)) as [[string, number][], string[]];
      return make(new Map(a), new Set(r));
    },
  };
}

const setOps = fc.oneof(
  fc.constantFrom('a', 'b', 'c').map((add): SetOp => ({ add })),
  fc.constantFrom('a', 'b', 'c').map((remove): SetOp => ({ remove })),
);

const failureOf = (run: Promise<unknown>): Promise<Error | undefined> =>
  run.then(
    () => undefined,
    (error: unknown) => error as Error,
  );

describe('assertCrdtDelta', () => {
  const kinds: [string, CrdtKindProvider<never>, (replica: string) => fc.Arbitrary<unknown>][] = [
    ['g-counter', gCounter() as never, referenceOps.gCounter],
    ['pn-counter', pnCounter() as never, referenceOps.pnCounter],
    ['or-set', orSet() as never, referenceOps.orSet],
    ['lww-register', lwwRegister() as never, referenceOps.lwwRegister],
  ];
  for (const [name, provider, ops] of kinds)
    it(`accepts the ${name} of @baton/kinds`, async () => {
      expect(await assertCrdtDelta(provider, { ops: ops as never, numRuns: 60 })).toBe(true);
    });

  it('accepts an honest two-phase set, and g-counter format 2 reading format-2 states of itself', async () => {
    expect(await assertCrdtDelta(twoPhaseSet(), { ops: setOps, numRuns: 100 })).toBe(true);
    const v2 = gCounter({ format: 2 });
    expect(await assertCrdtDelta(v2, { ops: referenceOps.gCounter, next: gCounter({ format: 2 }), numRuns: 30 })).toBe(
      true,
    );
  });

  it('catches a delta that forgets removals, showing the phases and both values', async () => {
    const failure = await failureOf(assertCrdtDelta(twoPhaseSet('forgetsRemovals'), { ops: setOps, numRuns: 200 }));
    // Shrinking may end at a removal of an element never added: the value agrees, the tombstones do not.
    expect(failure?.message).toMatch(
      /two-phase-set: (the delta since a mark does not carry every change|persisted ⊔ delta has the live value but not)/,
    );
    // The removal reaches the live state after the mark, by an op or by a merge of a replica that removed.
    expect(failure?.message).toMatch(/\{ remove: '[abc]' \}/);
    expect(failure?.message).toMatch(/before the mark: [\s\S]*mark → persist: [\s\S]*→ final delta: /);
  });

  it('catches a real or-set whose marks answer their first delta forever (the catch-up misses later writes)', async () => {
    const real = orSet();
    const frozen = (state: CrdtState): CrdtState =>
      new Proxy(state, {
        get(target, prop) {
          if (prop === 'mark')
            return (): CrdtMark => {
              const mark = target.mark!() as CrdtMark;
              let first: Uint8Array | undefined;
              return {
                delta: () => (first ??= mark.delta() as Uint8Array),
                release: () => {
                  mark.release();
                },
              };
            };
          const value: unknown = Reflect.get(target, prop, target);
          return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
        },
      });
    const broken: CrdtKindProvider = {
      kind: 'or-set',
      empty: () => frozen(real.empty()),
      fromPersisted: (bytes) => real.fromPersisted(bytes),
    };
    const failure = await failureOf(assertCrdtDelta(broken, { ops: referenceOps.orSet as never, numRuns: 200 }));
    expect(failure?.message).toMatch(
      /or-set: (the delta since a mark does not carry every change|delta\(\) of a released mark)/,
    );
  });

  it('catches a merge that gets the value right but not the bytes', async () => {
    const failure = await failureOf(
      assertCrdtDelta(twoPhaseSet('dropsHiddenTombstones'), { ops: setOps, numRuns: 200 }),
    );
    expect(failure?.message).toMatch(/two-phase-set: persisted ⊔ delta has the live value but not its persisted bytes/);
  });

  it('catches a merge that is not idempotent', async () => {
    const failure = await failureOf(assertCrdtDelta(twoPhaseSet('sumsCounts'), { ops: setOps, numRuns: 200 }));
    expect(failure?.message).toMatch(
      /two-phase-set: (merging a delta again changed the state|persisted ⊔ delta has the live value but not)/,
    );
  });

  it('catches a mark whose changed() says nothing changed when something did', async () => {
    const failure = await failureOf(assertCrdtDelta(twoPhaseSet('neverChanged'), { ops: setOps, numRuns: 200 }));
    expect(failure?.message).toMatch(
      /two-phase-set: changed\(\) said nothing changed since the mark, but the state did/,
    );
    expect(failure?.message).toMatch(/at the mark vs now: /);
  });

  it('catches a released mark that still answers', async () => {
    const failure = await failureOf(assertCrdtDelta(twoPhaseSet('deltaAfterRelease'), { ops: setOps, numRuns: 20 }));
    expect(failure?.message).toMatch(/two-phase-set: delta\(\) of a released mark did not throw/);
    const changed = await failureOf(assertCrdtDelta(twoPhaseSet('changedAfterRelease'), { ops: setOps, numRuns: 20 }));
    expect(changed?.message).toMatch(/two-phase-set: changed\(\) of a released mark did not throw/);
  });

  it('fails on a kind without the hooks unless told to skip it, and on a pair that needs a migration', async () => {
    const plain: CrdtKindProvider<SetOp, string[]> = {
      kind: 'plain',
      empty: async () => {
        const { mark: _m, mergeDelta: _d, ...rest } = (await twoPhaseSet().empty()) as Required<CrdtState>;
        return rest as CrdtState<SetOp, string[]>;
      },
      fromPersisted: (bytes) => twoPhaseSet().fromPersisted(bytes),
    };
    await expect(assertCrdtDelta(plain, { ops: setOps })).rejects.toThrow(/plain: .*have no mark\(\)/);
    expect(await assertCrdtDelta(plain, { ops: setOps, requireHooks: false })).toBe(false);
    await expect(
      assertCrdtDelta(gCounter(), { ops: referenceOps.gCounter, next: gCounter({ format: 2 }) }),
    ).rejects.toThrow(/g-counter \(format 1 → 2\): .*compatibleAfterMigration/);
  });
});
