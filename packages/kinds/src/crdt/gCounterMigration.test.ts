import { checkCrdtCompat } from '@baton/core/kit';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { peekEnvelope } from '../codec/envelope.js';
import { compatContext, expectReloadError, runScenario, scenarioArb } from './__tests__/crdtHarness.js';
import { G_COUNTER_V1_TO_V2, gCounter, migrateGCounterV1ToV2 } from './gCounter.js';
import type { GCounterOp } from './gCounterState.js';

const opOf = (replica: string): fc.Arbitrary<GCounterOp> =>
  fc.record({ replica: fc.constant(replica), by: fc.integer({ min: 1, max: 2 ** 40 }) });

describe('g-counter v1 → v2', () => {
  it('is compatible after migration on samples and live states, and live states migrate with their values', async () => {
    const live = gCounter().empty();
    live.apply({ replica: 'x', by: 41 });
    live.apply({ replica: 'y', by: 1 });
    const verdict = await checkCrdtCompat(
      gCounter(),
      gCounter({ format: 2 }),
      compatContext('g-counter', { liveResources: [{ name: 'hits', resource: live }] }),
    );
    expect(verdict).toMatchObject({ type: 'compatibleAfterMigration', description: G_COUNTER_V1_TO_V2 });
    if (verdict.type !== 'compatibleAfterMigration') return;
    // The host's handoff: persist → migrate → fromPersisted, then writers continue on the new state.
    const moved = gCounter({ format: 2 }).fromPersisted(await verdict.migrate(live.persist()));
    expect(moved.value()).toBe(42);
    expect(moved.equals(live)).toBe(true);
    expect(peekEnvelope(moved.persist())).toEqual({ kind: 'g-counter', formatVersion: 2 });
    moved.apply({ replica: 'x', by: 1 });
    expect(moved.value()).toBe(43);
  });

  test.prop([scenarioArb(opOf)])('migration preserves every reachable state', (steps) => {
    for (const state of runScenario(gCounter(), steps).replicas) {
      const migrated = migrateGCounterV1ToV2(state.persist());
      expect(peekEnvelope(migrated)).toEqual({ kind: 'g-counter', formatVersion: 2 });
      const read = gCounter({ format: 2 }).fromPersisted(migrated);
      expect(read.value()).toBe(state.value());
      expect(read.counts()).toEqual(state.counts());
    }
  });

  it('a migration is refused on anything but v1 bytes', () => {
    expectReloadError(() => migrateGCounterV1ToV2(gCounter({ format: 2 }).empty().persist()), 'CORRUPT_INPUT');
    expectReloadError(() => migrateGCounterV1ToV2(new Uint8Array([1, 2, 3])), 'CORRUPT_INPUT');
  });

  it('v2 → v2 is compatible; v2 → v1 (a downgrade) is not', async () => {
    expect(await checkCrdtCompat(gCounter({ format: 2 }), gCounter({ format: 2 }), compatContext('g-counter'))).toEqual(
      { type: 'compatible' },
    );
    expect(await checkCrdtCompat(gCounter(), gCounter(), compatContext('g-counter'))).toEqual({ type: 'compatible' });
    const down = await checkCrdtCompat(gCounter({ format: 2 }), gCounter(), compatContext('g-counter'));
    expect(down).toMatchObject({ type: 'incompatible', reason: expect.stringContaining('no downgrade') });
  });
});
