import { collectRegistrations } from '@baton/core/loader';
import { createPluginHost, definePlugin } from '@baton/core';
import type { CrdtKindProvider } from '@baton/core';
import { gCounter, orSet } from '@baton/kinds';
import type { GCounterOp } from '@baton/kinds';
import { peekEnvelope } from '@baton/kinds/codec';
import { beforeAll, describe, expect, it } from 'vitest';
import { connect, testDatabase } from '../__tests__/testDatabase.js';
import { COUNTERS, countersV1, countersV2 } from './__tests__/counterPlugins.js';
import { reloadErrorOf } from './__tests__/errors.js';
import { FLEET_FORMATS, FleetFormats, fleetFormats } from './fleetFormats.js';
import type { PluginFormats } from './fleetFormats.js';
import type { FormatPhaseRow } from './formatPhase.js';
import { revertFormatPhase, switchFormatPhase } from './formatPhaseStore.js';
import { formatPreflight } from './formatPreflight.js';
import { ensureFormatSchema } from './formatSchema.js';

const row = (phase: 'mixed' | 'switched', version = '2.0.0'): FormatPhaseRow => ({
  plugin: COUNTERS,
  version,
  fromVersion: '1.0.0',
  phase,
  pinned: { 'g-counter': 1 },
  rollbackSafe: false,
  createdAt: new Date(),
  switchedAt: phase === 'switched' ? new Date() : null,
});

describe('FleetFormats (the host service)', () => {
  it('pins the kinds the row names while mixed; writes the newest formats once switched or without a row', () => {
    const mixed = new FleetFormats([row('mixed')]).forPlugin({ name: COUNTERS, version: '2.0.0' });
    expect(mixed).toMatchObject({ plugin: COUNTERS, version: '2.0.0', phase: 'mixed', pinned: { 'g-counter': 1 } });
    expect(mixed.writeFormat('g-counter', 2)).toBe(1);
    expect(mixed.writeFormat('or-set', 2)).toBe(2);
    const counter = mixed.crdtKind(gCounter({ format: 2 }), (format) => gCounter({ format: format as 1 | 2 }));
    expect(counter.formatVersion).toBe(1);
    const newest = orSet();
    expect(mixed.crdtKind(newest, () => orSet())).toBe(newest);

    const others: PluginFormats[] = [
      new FleetFormats([row('switched')]).forPlugin({ name: COUNTERS, version: '2.0.0' }),
      new FleetFormats([row('mixed')]).forPlugin({ name: COUNTERS, version: '2.1.0' }),
      new FleetFormats([row('mixed')]).forPlugin({ name: 'other', version: '2.0.0' }),
      new FleetFormats().forPlugin({ name: COUNTERS, version: '2.0.0' }),
    ];
    for (const formats of others) {
      expect(formats).toMatchObject({ phase: 'switched', pinned: {} });
      expect(formats.writeFormat('g-counter', 2)).toBe(2);
      const provider = gCounter({ format: 2 });
      expect(formats.crdtKind(provider, () => gCounter())).toBe(provider);
    }
  });

  it('refuses a writer of the wrong format, and bad arguments', async () => {
    const mixed = new FleetFormats([row('mixed')]).forPlugin({ name: COUNTERS, version: '2.0.0' });
    const wrong = await reloadErrorOf(() => mixed.crdtKind(gCounter({ format: 2 }), () => gCounter({ format: 2 })));
    expect(wrong).toMatchObject({ code: 'INVALID_ARGUMENT', plugin: COUNTERS });
    expect(wrong.message).toContain('writes format 1');
    const bad = [
      () => mixed.writeFormat('', 2),
      () => mixed.writeFormat('g-counter', 0),
      () => mixed.writeFormat('g-counter', 1.5),
      () =>
        mixed.crdtKind({ ...gCounter(), formatVersion: undefined } as unknown as CrdtKindProvider, () => gCounter()),
      () => mixed.crdtKind(gCounter({ format: 2 }), undefined as never),
      () => new FleetFormats().forPlugin(null as never),
      () => new FleetFormats().planOf('', '1.0.0'),
    ];
    for (const call of bad) expect((await reloadErrorOf(call)).code).toBe('INVALID_ARGUMENT');
  });

  it("fleetFormats(r): the host's service when it has one, newest formats without, a typed error for something else", async () => {
    const seen: PluginFormats[] = [];
    const probe = definePlugin({
      name: COUNTERS,
      version: '2.0.0',
      register(r) {
        seen.push(fleetFormats(r));
      },
    });
    await collectRegistrations(probe);
    await using host = createPluginHost({
      services: { [FLEET_FORMATS]: new FleetFormats([row('mixed')]) },
      logger: false,
    });
    await host.load(probe);
    expect(seen.map((formats) => formats.phase)).toEqual(['switched', 'mixed']);
    await using wrong = createPluginHost({ services: { [FLEET_FORMATS]: { phase: 'mixed' } }, logger: false });
    const error = await reloadErrorOf(() => wrong.load(probe));
    expect(error.code).toBe('REGISTRATION_FAILED');
    expect((error.cause as { code?: string }).code).toBe('INVALID_ARGUMENT');
  });
});

describe('the two-step format switch on a real host', () => {
  let url: string;
  beforeAll(async () => {
    url = await testDatabase('fleet_switch');
    await using client = await connect(url);
    await ensureFormatSchema(client);
  });

  it('v1 → v2 in phase mixed writes format 1; the switch is a reload of the same version after the row flips', async () => {
    await using client = await connect(url);
    const formats = await FleetFormats.load(client);
    await using host = createPluginHost({ services: { [FLEET_FORMATS]: formats }, logger: false });
    await host.load(countersV1);
    const hits = await host.openCrdt<GCounterOp, number>({ name: 'hits', key: 'g-counter' });
    await hits.apply({ replica: 'p1', by: 40 });
    const formatOf = async (): Promise<number | undefined> => peekEnvelope(await hits.persist())?.formatVersion;
    expect(await formatOf()).toBe(1);

    // Step one: the preflight records phase mixed; the agent refreshes its service, then reloads.
    await formatPreflight({ client, oldPlugin: countersV1, newPlugin: countersV2 });
    await formats.refresh(client);
    await host.reload(countersV2);
    expect(await formatOf()).toBe(1);
    expect(await hits.value()).toBe(40);
    // A process already switched sends format-2 state: a mixed process reads and merges it.
    const switchedState = gCounter({ format: 2 }).empty();
    switchedState.apply({ replica: 'p2', by: 2 });
    await hits.merge(switchedState.persist());
    expect(await hits.value()).toBe(42);
    expect(await formatOf()).toBe(1);
    // The v1 processes still in the fleet read what it writes.
    expect(
      gCounter({ format: 1 })
        .fromPersisted(await hits.persist())
        .value(),
    ).toBe(42);

    // Step two: refused while a member runs v1; accepted once all run v2; a reload of the same version.
    const refused = await reloadErrorOf(() =>
      switchFormatPhase(client, {
        plugin: COUNTERS,
        version: '2.0.0',
        members: [
          { id: 'p1', version: '2.0.0' },
          { id: 'p2', version: '1.0.0' },
        ],
      }),
    );
    expect(refused.code).toBe('SCHEMA_INCOMPATIBLE');
    await formats.refresh(client);
    await host.reload(countersV2, { allowSameVersion: true });
    expect(await formatOf()).toBe(1); // nothing flipped: the same version keeps writing format 1
    await switchFormatPhase(client, {
      plugin: COUNTERS,
      version: '2.0.0',
      members: [
        { id: 'p1', version: '2.0.0' },
        { id: 'p2', version: '2.0.0' },
      ],
    });
    await formats.refresh(client);
    await host.reload(countersV2, { allowSameVersion: true });
    expect(await formatOf()).toBe(2);
    expect(await hits.value()).toBe(42);
    // v1 cannot read format 2: the rollback guard refuses to roll the fleet back now.
    expect((await reloadErrorOf(() => revertFormatPhase(client, { plugin: COUNTERS, version: '2.0.0' }))).code).toBe(
      'SCHEMA_INCOMPATIBLE',
    );
  });

  it('a refresh that fails keeps the snapshot it had', async () => {
    await using client = await connect(url);
    const formats = new FleetFormats([row('mixed')]);
    await ensureFormatSchema(client, { schema: 'fleet_switch_bad' });
    await client.query(
      `INSERT INTO fleet_switch_bad.format_phases (plugin, version, from_version, phase, pinned)
       VALUES ('counters', '2.0.0', '1.0.0', 'mixed', '{"g-counter": -1}')`,
    );
    expect((await reloadErrorOf(() => formats.refresh(client, { schema: 'fleet_switch_bad' }))).code).toBe(
      'CORRUPT_INPUT',
    );
    expect(formats.planOf(COUNTERS, '2.0.0')).toEqual({ phase: 'mixed', pinned: { 'g-counter': 1 } });
  });
});
