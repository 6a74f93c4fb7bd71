import { definePlugin } from '@baton/core';
import type { CrdtKindProvider } from '@baton/core';
import { gCounter, orSet } from '@baton/kinds';
import { peekEnvelope } from '@baton/kinds/codec';
import { beforeAll, describe, expect, it } from 'vitest';
import { connect, testDatabase } from '../__tests__/testDatabase.js';
import { COUNTERS, countersV1, countersV2, countersV2Eager, countersV2PinnedOnly } from './__tests__/counterPlugins.js';
import { reloadErrorOf } from './__tests__/errors.js';
import { assertFleetFormats, checkFleetFormats } from './checkFleetFormats.js';
import { FleetFormats } from './fleetFormats.js';
import { readFormatPhase } from './formatPhaseStore.js';
import { formatPreflight } from './formatPreflight.js';
import { ensureFormatSchema } from './formatSchema.js';

describe('checkFleetFormats', () => {
  it('a v2 that writes the old format while mixed passes (1) and (2); a rollback after the switch is reported unsafe', async () => {
    const report = await checkFleetFormats({ oldPlugin: countersV1, newPlugin: countersV2 });
    expect(report).toMatchObject({
      plugin: COUNTERS,
      fromVersion: '1.0.0',
      toVersion: '2.0.0',
      pinned: { 'g-counter': 1 },
      ok: true,
      rollbackSafe: false,
    });
    const [counter, set] = report.kinds;
    expect(counter).toMatchObject({
      key: 'g-counter',
      formats: { old: 1, mixed: 1, switched: 2 },
      newReadsOld: { status: 'compatible' },
      oldReadsMixed: { status: 'compatible' },
      converges: { status: 'compatible' },
      switchReads: { status: 'compatible' },
      rollbackAfterSwitch: { status: 'incompatible' },
    });
    expect(counter!.newReadsOld.detail).toContain('compatible after migration');
    expect(counter!.rollbackAfterSwitch.detail).toContain('new (switched) → old (format 2 → 1)');
    // The or-set keeps its one format: every check passes, a rollback stays safe.
    expect(set).toMatchObject({ key: 'or-set', formats: { old: 2, mixed: 2, switched: 2 } });
    for (const check of ['newReadsOld', 'oldReadsMixed', 'converges', 'switchReads', 'rollbackAfterSwitch'] as const)
      expect(set![check].status).toBe('compatible');
    expect(report.problems).toEqual([expect.stringMatching(/^g-counter rollbackAfterSwitch /)]);
    expect(() => {
      assertFleetFormats(report);
    }).not.toThrow();
  });

  it('a v2 that writes format 2 while mixed is caught: the old version cannot read it (2)', async () => {
    const report = await checkFleetFormats({ oldPlugin: countersV1, newPlugin: countersV2Eager });
    expect(report.ok).toBe(false);
    const counter = report.kinds.find((kind) => kind.key === 'g-counter')!;
    expect(counter.formats).toEqual({ old: 1, mixed: 2, switched: 2 });
    expect(counter.oldReadsMixed).toMatchObject({ status: 'incompatible' });
    expect(counter.oldReadsMixed.detail).toContain('new (mixed) → old (format 2 → 1)');
    expect(counter.newReadsOld.status).toBe('compatible');
    const error = await reloadErrorOf(() => {
      assertFleetFormats(report);
    });
    expect(error).toMatchObject({ code: 'SCHEMA_INCOMPATIBLE', phase: 'compat', plugin: COUNTERS, key: 'g-counter' });
    expect(error.message).toContain('g-counter oldReadsMixed');
    expect(error.message).not.toContain('rollbackAfterSwitch');
    expect(error.details['report']).toBe(report);
  });

  it('a v2 pinned with the v1 provider itself is caught: it cannot read what switched processes write', async () => {
    const report = await checkFleetFormats({ oldPlugin: countersV1, newPlugin: countersV2PinnedOnly });
    const counter = report.kinds.find((kind) => kind.key === 'g-counter')!;
    expect(counter.oldReadsMixed.status).toBe('compatible');
    expect(counter.switchReads).toMatchObject({ status: 'incompatible' });
    expect(counter.switchReads.detail).toContain('switched → mixed (format 2 → 1)');
    expect(report.ok).toBe(false);
  });

  it('a v2 that no longer reads the old format is caught: (1) new reads old', async () => {
    const forgetful = definePlugin({
      name: COUNTERS,
      version: '2.0.0',
      register(r) {
        const newest = gCounter({ format: 2 });
        // Reads format 2 only (a release that dropped format 1).
        const onlyTwo: CrdtKindProvider = {
          ...newest,
          fromPersisted: (bytes) => {
            if (peekEnvelope(bytes)?.formatVersion !== 2) throw new Error('format 1 is no longer read');
            return newest.fromPersisted(bytes);
          },
          schemaCompatCheck: (old) =>
            old.formatVersion === 2
              ? { type: 'compatible' }
              : { type: 'incompatible', reason: 'format 1 is no longer read' },
        };
        r.crdtKind(onlyTwo);
      },
    });
    const report = await checkFleetFormats({ oldPlugin: countersV1, newPlugin: forgetful });
    const counter = report.kinds.find((kind) => kind.key === 'g-counter')!;
    expect(counter.newReadsOld).toMatchObject({ status: 'incompatible' });
    expect(counter.newReadsOld.detail).toContain('format 1 is no longer read');
    // The or-set the new version dropped: its states stay with the old version.
    expect(report.kinds.find((kind) => kind.key === 'or-set')).toMatchObject({
      formats: { old: 2 },
      newReadsOld: { status: 'notApplicable' },
    });
    expect(report.ok).toBe(false);
  });

  it('states that do not converge across versions are caught, even when each version reads the other', async () => {
    // A "v2" whose or-set drops every element on merge: its states read fine, but merges diverge.
    const lossy = definePlugin({
      name: COUNTERS,
      version: '2.0.0',
      register(r) {
        const base = orSet();
        r.crdtKind(gCounter({ format: 1 }));
        r.crdtKind({
          ...base,
          fromPersisted: (bytes) => Object.assign(base.fromPersisted(bytes), { merge: () => undefined }),
        });
      },
    });
    const report = await checkFleetFormats({ oldPlugin: countersV1, newPlugin: lossy });
    const set = report.kinds.find((kind) => kind.key === 'or-set')!;
    expect(set.oldReadsMixed.status).toBe('compatible');
    expect(set.converges).toMatchObject({ status: 'incompatible' });
    expect(set.converges.detail).toContain('diverge');
    expect(report.ok).toBe(false);
  });

  it("runs register() with the caller's host services, and reports register()'s own failure with its code", async () => {
    const seen: unknown[] = [];
    const reading = definePlugin({
      name: COUNTERS,
      version: '2.0.0',
      register(r) {
        seen.push(r.scope.resolve('counters.env'));
        countersV2.register(r);
      },
    });
    const report = await checkFleetFormats({
      oldPlugin: countersV1,
      newPlugin: reading,
      services: { 'counters.env': { maxBytes: 1 << 20 } },
    });
    expect(report.ok).toBe(true);
    expect(seen).toEqual([{ maxBytes: 1 << 20 }, { maxBytes: 1 << 20 }]); // switched, then mixed
    const failing = await reloadErrorOf(() => checkFleetFormats({ oldPlugin: countersV1, newPlugin: reading }));
    expect(failing).toMatchObject({ code: 'REGISTRATION_FAILED', plugin: COUNTERS });
  });

  it('the old version registers as its processes run it: an old version still mixed pins the formats it writes', async () => {
    // The fleet runs 2.0.0 still in phase mixed (writing format 1); a 2.1.0 must then keep format 1.
    const v21 = definePlugin({
      ...countersV2,
      version: '2.1.0',
      register: (r) => {
        countersV2.register(r);
      },
    });
    const formats = new FleetFormats([
      {
        plugin: COUNTERS,
        version: '2.0.0',
        fromVersion: '1.0.0',
        phase: 'mixed',
        pinned: { 'g-counter': 1 },
        rollbackSafe: false,
        createdAt: new Date(),
        switchedAt: null,
      },
    ]);
    const report = await checkFleetFormats({ oldPlugin: countersV2, newPlugin: v21, formats });
    expect(report.pinned).toEqual({ 'g-counter': 1 });
    expect(report.kinds[0]!.formats).toEqual({ old: 1, mixed: 1, switched: 2 });
    expect(report.ok).toBe(true);
    const unpinned = await checkFleetFormats({ oldPlugin: countersV2, newPlugin: v21 });
    expect(unpinned.pinned).toEqual({});
    expect(unpinned.kinds[0]!.formats).toEqual({ old: 2, mixed: 2, switched: 2 });
  });

  it('a check that hangs fails its kind at the deadline; an abort is ABORTED; bad options are INVALID_ARGUMENT', async () => {
    const hanging = definePlugin({
      name: COUNTERS,
      version: '2.0.0',
      register(r) {
        r.crdtKind({ ...orSet(), schemaCompatCheck: () => new Promise<never>(() => undefined) });
      },
    });
    const report = await checkFleetFormats({ oldPlugin: countersV1, newPlugin: hanging, checkTimeoutMs: 50 });
    expect(report.kinds.find((kind) => kind.key === 'or-set')!.switchReads.detail).toContain(
      'did not finish within 50 ms',
    );
    expect(report.ok).toBe(false);
    const controller = new AbortController();
    const aborted = checkFleetFormats({ oldPlugin: countersV1, newPlugin: hanging, signal: controller.signal });
    setImmediate(() => {
      controller.abort();
    });
    expect(await reloadErrorOf(() => aborted)).toMatchObject({ code: 'ABORTED' });
    const bad = [
      {},
      { oldPlugin: countersV1, newPlugin: { ...countersV2, name: 'other' } },
      { oldPlugin: countersV1, newPlugin: countersV2, maxStates: 0 },
      { oldPlugin: countersV1, newPlugin: countersV2, checkTimeoutMs: -1 },
      { oldPlugin: countersV1, newPlugin: countersV2, checkTimeoutMs: 2 ** 31 },
    ];
    for (const options of bad)
      expect((await reloadErrorOf(() => checkFleetFormats(options as never))).code).toBe('INVALID_ARGUMENT');
  });
});

describe('formatPreflight', () => {
  let url: string;
  beforeAll(async () => {
    url = await testDatabase('fleet_preflight');
    await using client = await connect(url);
    await ensureFormatSchema(client);
  });

  it('records phase mixed with the pinned formats when the checks pass', async () => {
    await using client = await connect(url);
    const report = await formatPreflight({ client, oldPlugin: countersV1, newPlugin: countersV2 });
    expect(report.ok).toBe(true);
    expect(await readFormatPhase(client, { plugin: COUNTERS, version: '2.0.0' })).toMatchObject({
      fromVersion: '1.0.0',
      phase: 'mixed',
      pinned: { 'g-counter': 1 },
      rollbackSafe: false,
    });
  });

  it('throws SCHEMA_INCOMPATIBLE and records nothing when the new version cannot join a mixed fleet', async () => {
    await using client = await connect(url);
    const eager = definePlugin({
      ...countersV2Eager,
      name: 'eager',
      register: (r) => {
        countersV2Eager.register(r);
      },
    });
    const old = definePlugin({
      ...countersV1,
      name: 'eager',
      register: (r) => {
        countersV1.register(r);
      },
    });
    const error = await reloadErrorOf(() => formatPreflight({ client, oldPlugin: old, newPlugin: eager }));
    expect(error).toMatchObject({ code: 'SCHEMA_INCOMPATIBLE', key: 'g-counter', plugin: 'eager' });
    expect(await readFormatPhase(client, { plugin: 'eager', version: '2.0.0' })).toBeUndefined();
  });
});
