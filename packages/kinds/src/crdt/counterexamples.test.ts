import { checkCrdtCompat } from '@baton/core';
import { describe, expect, it } from 'vitest';
import { compatContext } from './__tests__/crdtHarness.js';
import { lossyPnCounterV2 } from './counterexamples.js';
import { pnCounter } from './pnCounter.js';

describe('lossyPnCounterV2 (a counterexample the compat check must catch)', () => {
  it('claims compatibility, and the empty state round-trips through it unchanged', async () => {
    expect(await lossyPnCounterV2.schemaCompatCheck?.(pnCounter)).toEqual({ type: 'compatible' });
    const empty = pnCounter.empty();
    const read = lossyPnCounterV2.fromPersisted(empty.persist());
    expect(read.value()).toStrictEqual(empty.value());
    // A state without decrements survives too: only N is lost.
    const up = pnCounter.empty();
    up.apply({ replica: 'a', by: 3 });
    expect(lossyPnCounterV2.fromPersisted(up.persist()).value()).toBe(3);
  });

  it('is caught as incompatible on reachable states (the old provider samples decrements)', async () => {
    const verdict = await checkCrdtCompat(pnCounter, lossyPnCounterV2, compatContext('pn-counter'));
    expect(verdict.type).toBe('incompatible');
    expect(verdict).toMatchObject({
      reason: expect.stringMatching(/value of sample \d+ .* changed across the round trip: 3 → 5/),
    });
  });

  it('is caught on a live state alone, when the old provider has no samples', async () => {
    const { samples: _samples, ...withoutSamples } = pnCounter;
    const live = pnCounter.empty();
    live.apply({ replica: 'a', by: 10 });
    live.apply({ replica: 'b', by: -4 });
    const verdict = await checkCrdtCompat(
      withoutSamples,
      lossyPnCounterV2,
      compatContext('pn-counter', { liveResources: [{ name: 'balance', resource: live }] }),
    );
    expect(verdict).toMatchObject({
      type: 'incompatible',
      reason: expect.stringContaining("live state 'balance' changed across the round trip: 6 → 10"),
    });
  });

  it('with only the empty state to go on, the check refuses to call it compatible', async () => {
    const { samples: _samples, ...withoutSamples } = pnCounter;
    const verdict = await checkCrdtCompat(withoutSamples, lossyPnCounterV2, compatContext('pn-counter'));
    expect(verdict).toMatchObject({ type: 'incompatible', reason: expect.stringContaining('unproven') });
  });
});
