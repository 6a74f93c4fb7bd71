import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { decodeEnvelope, encodeEnvelope } from '../codec/envelope.js';
import { crdtLawSuite, expectReloadError, runScenario, scenarioArb } from './__tests__/crdtHarness.js';
import { pnCounter } from './pnCounter.js';
import type { PnCounterOp } from './pnCounterState.js';

const opOf = (replica: string): fc.Arbitrary<PnCounterOp> =>
  fc.record({
    replica: fc.constant(replica),
    by: fc.oneof(fc.integer({ min: 1, max: 1_000 }), fc.integer({ min: -1_000, max: -1 })),
  });

crdtLawSuite(pnCounter(), opOf, [
  { replica: 'a', by: 0 },
  { replica: 'a', by: -0.5 },
  { replica: 'a', by: 2 ** 53 },
  { replica: 'a', by: -(2 ** 53) },
  { replica: 'a', by: 1n },
  { replica: null, by: 1 },
  { replica: 'a' },
]);

describe('pn-counter semantics', () => {
  test.prop([scenarioArb(opOf)])(
    'once every replica has merged every other, the value is the sum of every op',
    (steps) => {
      const { replicas } = runScenario(pnCounter(), steps);
      for (const r of replicas) for (const other of replicas) r.merge(other);
      const total = steps.reduce((sum, step) => sum + ('op' in step ? step.op.by : 0), 0);
      for (const r of replicas) expect(r.value()).toBe(total);
    },
  );

  it('counts up and down per replica, below zero too', () => {
    const state = pnCounter().empty();
    state.apply({ replica: 'a', by: 2 });
    state.apply({ replica: 'a', by: -5 });
    state.apply({ replica: 'b', by: -1 });
    expect(state.value()).toBe(-4);
    expect(state.counts('a')).toEqual({ p: 2, n: 5 });
    expect(state.counts('b')).toEqual({ p: 0, n: 1 });
    expect(decodeEnvelope(state.persist(), { kind: 'pn-counter', versions: [1] }).body).toEqual([
      ['a', 'b'],
      [2, 0],
      [5, 1],
    ]);
  });

  it('refuses a half past 2^53 − 1, in either direction', () => {
    const state = pnCounter().empty();
    state.apply({ replica: 'a', by: Number.MAX_SAFE_INTEGER });
    state.apply({ replica: 'a', by: -Number.MAX_SAFE_INTEGER });
    expectReloadError(() => {
      state.apply({ replica: 'a', by: 1 });
    }, 'INVALID_ARGUMENT');
    expectReloadError(() => {
      state.apply({ replica: 'a', by: -1 });
    }, 'INVALID_ARGUMENT');
    expect(state.value()).toBe(0);
  });

  it('checks bodies strictly', () => {
    const read = (body: unknown) => () => pnCounter().fromPersisted(encodeEnvelope('pn-counter', 1, body));
    expectReloadError(read([['a'], [0], [0]]), 'CORRUPT_INPUT');
    expectReloadError(read([['a'], [-1], [0]]), 'CORRUPT_INPUT');
    expectReloadError(read([['a'], [1], []]), 'CORRUPT_INPUT');
    expectReloadError(
      read([
        ['a', 'a'],
        [1, 1],
        [0, 0],
      ]),
      'CORRUPT_INPUT',
    );
    expectReloadError(read([['a'], [1], [0], 'extra']), 'CORRUPT_INPUT');
    expectReloadError(read([['a'], [1n], [0]]), 'CORRUPT_INPUT');
    expect(
      pnCounter()
        .fromPersisted(
          encodeEnvelope('pn-counter', 1, [
            ['a', 'b'],
            [3, 0],
            [0, 1],
          ]),
        )
        .value(),
    ).toBe(2);
  });
});
