import { fc } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { encodeEnvelope } from '../codec/envelope.js';
import { expectReloadError } from './__tests__/crdtHarness.js';
import { deltaLawSuite } from './__tests__/deltaHarness.js';
import { encodeDelta } from './crdtDelta.js';
import { gCounter } from './gCounter.js';
import type { GCounterOp } from './gCounterState.js';
import { pnCounter } from './pnCounter.js';
import type { PnCounterOp } from './pnCounterState.js';

const gOp = (replica: string): fc.Arbitrary<GCounterOp> =>
  fc.record({ replica: fc.constant(replica), by: fc.integer({ min: 1, max: 1_000 }) });
const pnOp = (replica: string): fc.Arbitrary<PnCounterOp> =>
  fc.record({ replica: fc.constant(replica), by: fc.integer({ min: -50, max: 50 }).filter((by) => by !== 0) });

deltaLawSuite('g-counter format 1', gCounter(), gOp);
deltaLawSuite('g-counter format 2', gCounter({ format: 2 }), gOp);
// Cross-format: format-1 state and delta, read and merged by a format-2 provider.
deltaLawSuite('g-counter format 1 → 2', gCounter(), gOp, gCounter({ format: 2 }));
deltaLawSuite('pn-counter', pnCounter(), pnOp);

describe('counter deltas', () => {
  const live = gCounter().empty();
  live.apply({ replica: 'a', by: 3 });
  const mark = live.mark();
  live.apply({ replica: 'b', by: 2 });
  const good = mark.delta();

  it('a delta is the replicas changed since the mark, with their counts', () => {
    const moved = gCounter().empty();
    moved.mergeDelta(good);
    expect([...moved.counts()]).toEqual([['b', 2]]);
  });

  const bad: [string, Uint8Array][] = [
    ['a persisted state', live.persist()],
    ['a truncated delta', good.subarray(0, good.length - 1)],
    ['a pn-counter delta', pnCounter().empty().mark().delta()],
    ['an unknown delta version', encodeDelta('g-counter', 2, [['a'], [1]])],
    ['a zero count', encodeDelta('g-counter', 1, [['a'], [0]])],
    [
      'a replica twice',
      encodeDelta('g-counter', 1, [
        ['a', 'a'],
        [1, 2],
      ]),
    ],
    ['mismatched lengths', encodeDelta('g-counter', 1, [['a', 'b'], [1]])],
    ['an empty replica id', encodeDelta('g-counter', 1, [[''], [1]])],
    ['another kind named in the envelope', encodeEnvelope('g-counterX.delta', 1, [['a'], [1]])],
  ];
  it.each(bad)('%s is CORRUPT_INPUT and changes nothing', (_, bytes) => {
    const state = gCounter({ format: 2 }).empty();
    state.apply({ replica: 'z', by: 1 });
    const before = state.persist();
    const error = expectReloadError(() => {
      state.mergeDelta(bytes);
    }, 'CORRUPT_INPUT');
    expect(error.key).toBe('g-counter');
    expect(state.persist()).toEqual(before);
  });

  it('a pn-counter delta with a bad N half changes neither half', () => {
    const state = pnCounter().empty();
    state.apply({ replica: 'z', by: 1 });
    const before = state.persist();
    expectReloadError(() => {
      state.mergeDelta(encodeDelta('pn-counter', 1, [['a'], [5], ['a'], [-1]]));
    }, 'CORRUPT_INPUT');
    expect(state.persist()).toEqual(before);
  });

  it("a delta larger than the provider's maxBytes is CORRUPT_INPUT, for its states and their clones", () => {
    const source = gCounter().empty();
    const mark = source.mark();
    for (const replica of ['r1', 'r2', 'r3', 'r4', 'r5', 'r6']) source.apply({ replica, by: 1 });
    const delta = mark.delta();
    const small = gCounter({ maxBytes: delta.length - 14 });
    for (const state of [small.empty(), small.empty().clone(), small.fromPersisted(small.empty().persist())])
      expectReloadError(() => {
        state.mergeDelta(delta);
      }, 'CORRUPT_INPUT');
    const fits = gCounter({ maxBytes: delta.length - 13 }).empty();
    fits.mergeDelta(delta);
    expect(fits.value()).toBe(6);
  });

  it('after release, delta() is RESOURCE_CLOSED and changes are no longer recorded', () => {
    for (const state of [gCounter().empty(), pnCounter().empty()]) {
      const m = state.mark();
      state.apply({ replica: 'a', by: 1 });
      expect(state.trackedChanges).toBe(1);
      m.release();
      m.release();
      expect(state.trackedChanges).toBe(0);
      state.apply({ replica: 'b', by: 1 });
      expect(state.trackedChanges).toBe(0);
      expect(() => m.delta()).toThrow(expect.objectContaining({ code: 'RESOURCE_CLOSED' }));
    }
  });
});
