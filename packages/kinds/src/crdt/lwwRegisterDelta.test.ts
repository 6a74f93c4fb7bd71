import { fc } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { expectReloadError } from './__tests__/crdtHarness.js';
import { deltaLawSuite } from './__tests__/deltaHarness.js';
import { encodeDelta } from './crdtDelta.js';
import { lwwRegister } from './lwwRegister.js';
import { orSet } from './orSet.js';
import type { LwwRegisterOp } from './lwwRegisterState.js';

const opOf = (replica: string): fc.Arbitrary<LwwRegisterOp> =>
  fc.record({
    replica: fc.constant(replica),
    timestamp: fc.integer({ min: 0, max: 20 }),
    value: fc.constantFrom(1, 'v', true),
  });

deltaLawSuite('lww-register', lwwRegister(), opOf);

describe('lww-register deltas', () => {
  const live = lwwRegister().empty();
  const mark = live.mark();
  live.apply({ replica: 'a', timestamp: 5, value: 'v' });

  it('a delta is the current write', () => {
    const moved = lwwRegister().empty();
    moved.mergeDelta(mark.delta());
    expect(moved.write()).toEqual({ replica: 'a', timestamp: 5, value: 'v' });
  });

  const bad: [string, () => Uint8Array][] = [
    ['a persisted state', () => live.persist()],
    ['a truncated delta', () => mark.delta().subarray(0, 12)],
    ['an or-set delta', () => orSet().empty().mark().delta()],
    ['an unknown delta version', () => encodeDelta('lww-register', 2, [])],
    ['a negative timestamp', () => encodeDelta('lww-register', 1, [-1, 'a', 'v'])],
    ['a delta of another kind', () => encodeDelta('g-counter', 1, [['a'], [1]])],
  ];
  it.each(bad)('%s is CORRUPT_INPUT and changes nothing', (_, make) => {
    const state = lwwRegister().empty();
    state.apply({ replica: 'z', timestamp: 1, value: 'w' });
    const before = state.persist();
    expectReloadError(() => {
      state.mergeDelta(make());
    }, 'CORRUPT_INPUT');
    expect(state.persist()).toEqual(before);
  });

  it('after release, delta() is RESOURCE_CLOSED', () => {
    const m = lwwRegister().empty().mark();
    m.release();
    expect(() => m.delta()).toThrow(expect.objectContaining({ code: 'RESOURCE_CLOSED' }));
  });
});
