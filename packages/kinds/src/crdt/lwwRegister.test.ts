import { isDeepStrictEqual } from 'node:util';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { decodeEnvelope, encodeEnvelope } from '../codec/envelope.js';
import { crdtLawSuite, expectReloadError, runScenario, scenarioArb } from './__tests__/crdtHarness.js';
import { lwwRegister } from './lwwRegister.js';
import { compareWrites } from './lwwRegisterState.js';
import type { LwwRegisterOp, LwwWrite } from './lwwRegisterState.js';
import { elementArb } from './__tests__/elements.js';

// Few timestamps and values, so ties (same timestamp, even same replica) are common.
const opOf = (replica: string): fc.Arbitrary<LwwRegisterOp> =>
  fc.record({
    replica: fc.constant(replica),
    value: elementArb,
    timestamp: fc.oneof(fc.integer({ min: 0, max: 4 }), fc.constantFrom(0.5, 1_700_000_000_000)),
  });

crdtLawSuite(lwwRegister(), opOf, [
  { replica: 'a', value: 1, timestamp: -1 },
  { replica: 'a', value: 1, timestamp: Number.POSITIVE_INFINITY },
  { replica: 'a', value: 1, timestamp: '1' },
  { replica: 'a', value: 1 },
  { replica: 'a', timestamp: 1 },
  { replica: 'a', value: null, timestamp: 1 },
  { replica: 'a', value: Number.NaN, timestamp: 1 },
  { replica: 'a', value: { nested: true }, timestamp: 1 },
  { replica: 'a', value: [1], timestamp: 1 },
  { replica: 'a', value: new Uint16Array(2), timestamp: 1 },
  { replica: 'a', value: '\uDC00', timestamp: 1 },
  { replica: 'a', value: 2n ** 1024n, timestamp: 1 },
  { replica: '', value: 1, timestamp: 1 },
]);

describe('lww-register semantics', () => {
  test.prop([scenarioArb(opOf)])(
    'every replica ends with the greatest write (timestamp, then replica, then value)',
    (steps) => {
      const { replicas } = runScenario(lwwRegister(), steps);
      for (const r of replicas) for (const other of replicas) r.merge(other);
      const writes: LwwWrite[] = steps.flatMap((step) =>
        'op' in step ? [{ ...step.op, timestamp: step.op.timestamp }] : [],
      );
      const winner = writes.reduce<LwwWrite | undefined>(
        (best, w) => (best === undefined || compareWrites(w, best) > 0 ? w : best),
        undefined,
      );
      for (const r of replicas) expect(r.value()).toStrictEqual(winner?.value);
    },
  );

  it('is undefined until written; a later timestamp wins; a tie goes to the greater replica id', () => {
    const state = lwwRegister().empty();
    expect(state.value()).toBeUndefined();
    state.apply({ replica: 'b', value: 'b at 5', timestamp: 5 });
    state.apply({ replica: 'a', value: 'a at 4', timestamp: 4 });
    expect(state.value()).toBe('b at 5');
    state.apply({ replica: 'c', value: 'c at 5', timestamp: 5 });
    state.apply({ replica: 'a', value: 'a at 5', timestamp: 5 });
    expect(state.write()).toEqual({ value: 'c at 5', timestamp: 5, replica: 'c' });
    expect(decodeEnvelope(state.persist(), { kind: 'lww-register', versions: [1] }).body).toEqual([5, 'c', 'c at 5']);
  });

  it('owns its bytes: changing the input or the returned value does not change the state', () => {
    const input = new Uint8Array([1, 2, 3]);
    const state = lwwRegister().empty();
    state.apply({ replica: 'a', value: input, timestamp: 1 });
    input[0] = 9;
    (state.value() as Uint8Array)[1] = 9;
    expect(state.value()).toStrictEqual(new Uint8Array([1, 2, 3]));
    const bytes = state.persist();
    const restored = lwwRegister().fromPersisted(bytes);
    bytes.fill(0);
    expect(restored.value()).toStrictEqual(new Uint8Array([1, 2, 3]));
    // A Buffer is stored as a plain Uint8Array, so the value is the same before and after a reload.
    state.apply({ replica: 'a', value: Buffer.from([4]), timestamp: 2 });
    expect(Buffer.isBuffer(state.value())).toBe(false);
    expect(isDeepStrictEqual(lwwRegister().fromPersisted(state.persist()).value(), state.value())).toBe(true);
  });

  it('keeps 1, 1n and "1" apart and stores -0 as 0', () => {
    const state = lwwRegister().empty();
    state.apply({ replica: 'a', value: -0, timestamp: 1 });
    expect(Object.is(state.value(), 0)).toBe(true);
    for (const [t, value] of [
      [2, 1],
      [3, 1n],
      [4, '1'],
    ] as const) {
      state.apply({ replica: 'a', value, timestamp: t });
      expect(lwwRegister().fromPersisted(state.persist()).value()).toStrictEqual(value);
    }
  });

  it('checks bodies strictly', () => {
    const read = (body: unknown) => () => lwwRegister().fromPersisted(encodeEnvelope('lww-register', 1, body));
    expectReloadError(read([1, 'a']), 'CORRUPT_INPUT');
    expectReloadError(read([-1, 'a', 1]), 'CORRUPT_INPUT');
    expectReloadError(read([1, '', 1]), 'CORRUPT_INPUT');
    expectReloadError(read([1, 'a', null]), 'CORRUPT_INPUT');
    expectReloadError(read([1, 'a', new Map()]), 'CORRUPT_INPUT');
    expectReloadError(read(null), 'CORRUPT_INPUT');
    expect(
      lwwRegister()
        .fromPersisted(encodeEnvelope('lww-register', 1, []))
        .value(),
    ).toBeUndefined();
  });
});
