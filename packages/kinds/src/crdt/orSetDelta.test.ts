import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { expectReloadError, REPLICAS, scenarioArb } from './__tests__/crdtHarness.js';
import { deltaLawSuite, play } from './__tests__/deltaHarness.js';
import { elementArb } from './__tests__/elements.js';
import { toFormat1 } from './__tests__/orSetFormat1.js';
import { encodeDelta } from './crdtDelta.js';
import { gCounter } from './gCounter.js';
import { orSet } from './orSet.js';
import type { OrSetOp } from './orSetState.js';
import { encodeVarints } from './varint.js';

const opOf = (replica: string): fc.Arbitrary<OrSetOp> =>
  fc.oneof(
    { arbitrary: elementArb.map((add) => ({ replica, add })), weight: 2 },
    { arbitrary: elementArb.map((remove) => ({ replica, remove })), weight: 1 },
  );
// Few elements, so adds, removes and merges meet on the same ones.
const fewOf = (replica: string): fc.Arbitrary<OrSetOp> =>
  fc.oneof(
    fc.constantFrom(1, 'x', true).map((add) => ({ replica, add })),
    fc.constantFrom(1, 'x', true).map((remove) => ({ replica, remove })),
  );

deltaLawSuite('or-set', orSet(), opOf);
deltaLawSuite('or-set (few elements)', orSet(), fewOf);

const token = new Uint8Array(16);
const body = (over: Partial<Record<number, unknown>>): unknown[] =>
  Object.assign([token, 1, ['a'], [0], [1], encodeVarints([]), ['x'], encodeVarints([1, 0, 1])], over);

describe('or-set deltas', () => {
  const steps = scenarioArb(opOf, 16);
  test.prop([steps, steps, steps])(
    'persisted right at the mark, the pre-copy and the final merge look only at the delta (no scan)',
    (before, toPrecopy, toEnd) => {
      const replicas = REPLICAS.map(() => orSet().empty());
      play(replicas, before);
      const live = replicas[0]!;
      const mark = live.mark();
      const moved = orSet().fromPersisted(live.persist());
      play(replicas, toPrecopy);
      moved.mergeDelta(mark.delta());
      expect(moved.lastDeltaScanned).toBe(false);
      play(replicas, toEnd);
      moved.mergeDelta(mark.delta());
      expect(moved.lastDeltaScanned).toBe(false);
      expect(moved.persist()).toEqual(live.persist());
    },
  );

  test.prop([steps, steps, steps])(
    'a snapshot persisted in format 1 (an earlier release) joined with the delta is the live state',
    (before, toPersist, toEnd) => {
      const replicas = REPLICAS.map(() => orSet().empty());
      play(replicas, before);
      const live = replicas[0]!;
      const mark = live.mark();
      play(replicas, toPersist);
      const moved = orSet().fromPersisted(toFormat1(live.persist()));
      play(replicas, toEnd);
      moved.mergeDelta(mark.delta());
      expect(moved.persist()).toEqual(live.persist());
    },
  );

  it('removes what was removed after the mark, keeps untouched elements, needs no scan after a plain persist', () => {
    const live = orSet().empty();
    for (const add of ['keep', 'gone', 'moved']) live.apply({ replica: 'a', add });
    const mark = live.mark();
    const moved = orSet().fromPersisted(live.persist());
    live.apply({ remove: 'gone' });
    live.apply({ replica: 'b', add: 'new' });
    moved.mergeDelta(mark.delta());
    expect(moved.value()).toEqual(['keep', 'moved', 'new']);
    expect(moved.lastDeltaScanned).toBe(false);
    live.apply({ remove: 'moved' });
    moved.mergeDelta(mark.delta());
    expect(moved.lastDeltaScanned).toBe(false);
    expect(moved.persist()).toEqual(live.persist());
  });

  it('a receiver holding a dot the live state saw only through a context loses it (a join, found by a scan)', () => {
    const [live, b, c] = [orSet().empty(), orSet().empty(), orSet().empty()];
    const mark = live.mark();
    b.apply({ replica: 'b', add: 'e' });
    c.merge(b);
    c.apply({ remove: 'e' });
    const moved = orSet().fromPersisted(live.persist());
    live.merge(c); // live sees b's dot of 'e', never holds it: 'e' is not touched
    moved.merge(b); // the receiver holds it
    moved.mergeDelta(mark.delta());
    expect(moved.lastDeltaScanned).toBe(true);
    const expected = live.clone();
    expected.merge(b);
    expect(moved.value()).toEqual([]);
    expect(moved.persist()).toEqual(expected.persist());
  });

  it("a delta of another mark does not ride on an earlier mark's clearance", () => {
    const [a, b, c, d] = [orSet().empty(), orSet().empty(), orSet().empty(), orSet().empty()];
    const first = a.mark();
    const moved = orSet().fromPersisted(a.persist());
    const second = c.mark();
    b.apply({ replica: 'b', add: 'e' });
    a.merge(b);
    moved.mergeDelta(first.delta()); // cleared for the first mark: every dot of b above 0 is named by its deltas
    d.merge(b);
    d.apply({ remove: 'e' });
    c.merge(d); // c sees b's dot of 'e' without ever holding it
    moved.mergeDelta(second.delta());
    expect(moved.lastDeltaScanned).toBe(true);
    const expected = a.clone();
    expected.merge(c);
    expect(moved.value()).toEqual([]);
    expect(moved.persist()).toEqual(expected.persist());
  });

  it('a valid crafted delta merges (the bad ones below differ from it in one part)', () => {
    const state = orSet().empty();
    state.mergeDelta(encodeDelta('or-set', 1, body({})));
    expect(state.value()).toEqual(['x']);
  });

  const bad: [string, () => Uint8Array][] = [
    ['a persisted state', () => stateWith('x').persist()],
    ['a truncated delta', () => stateWith('x').mark().delta().subarray(0, 20)],
    ['a g-counter delta', () => gCounter().empty().mark().delta()],
    ['an unknown delta version', () => encodeDelta('or-set', 2, body({}))],
    ['a dot of a replica out of range', () => encodeDelta('or-set', 1, body({ 7: encodeVarints([1, 1, 1]) }))],
    ['a dot outside the context', () => encodeDelta('or-set', 1, body({ 7: encodeVarints([1, 0, 2]) }))],
    ['a mark dot above from', () => encodeDelta('or-set', 1, body({ 5: encodeVarints([0, 1]) }))],
    ['a mark dot of a replica out of range', () => encodeDelta('or-set', 1, body({ 5: encodeVarints([3, 1]) }))],
    ['to below from', () => encodeDelta('or-set', 1, body({ 3: [2] }))],
    ['a replica with an empty context', () => encodeDelta('or-set', 1, body({ 4: [0], 6: [], 7: encodeVarints([]) }))],
    ['a short token', () => encodeDelta('or-set', 1, body({ 0: new Uint8Array(3) }))],
    ['replicas out of order', () => encodeDelta('or-set', 1, body({ 2: ['b', 'a'], 3: [0, 0], 4: [1, 1] }))],
    ['elements out of order', () => encodeDelta('or-set', 1, body({ 6: ['y', 'x'], 7: encodeVarints([1, 0, 1, 0]) }))],
    ['bytes after the dots', () => encodeDelta('or-set', 1, body({ 7: encodeVarints([1, 0, 1, 0]) }))],
    ['too many dots', () => encodeDelta('or-set', 1, body({ 7: encodeVarints([2, 0, 1, 0, 1]) }))],
  ];
  it.each(bad)('%s is CORRUPT_INPUT and changes nothing', (_, make) => {
    const state = stateWith('y');
    const before = state.persist();
    const error = expectReloadError(() => {
      state.mergeDelta(make());
    }, 'CORRUPT_INPUT');
    expect(error.key).toBe('or-set');
    expect(state.persist()).toEqual(before);
    expect(state.value()).toEqual(['y']);
  });

  it('after release, delta() is RESOURCE_CLOSED and changes are no longer recorded', () => {
    const state = stateWith('x');
    const m = state.mark();
    state.apply({ replica: 'a', add: 'y' });
    state.merge(stateWith('z', 'b'));
    expect(state.trackedChanges).toBeGreaterThan(0);
    m.release();
    expect(state.trackedChanges).toBe(0);
    state.apply({ remove: 'x' });
    state.merge(stateWith('w', 'c'));
    expect(state.trackedChanges).toBe(0);
    expect(() => m.delta()).toThrow(expect.objectContaining({ code: 'RESOURCE_CLOSED' }));
  });
});

function stateWith(element: string, replica = 'a'): ReturnType<ReturnType<typeof orSet>['empty']> {
  const state = orSet().empty();
  state.apply({ replica, add: element });
  return state;
}
