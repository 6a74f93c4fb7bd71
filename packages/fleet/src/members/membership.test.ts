import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { isReloadError } from '@baton/core';
import type { ReloadError } from '@baton/core';
import { connect, testDatabase } from '../__tests__/testDatabase.js';
import { callEngine, engineHost, enginePlugin, eventually } from '../rollout/__tests__/fleetFixtures.js';
import { ensureFleetSchema } from '../store/fleetSchema.js';
import { ensureFormatSchema } from '../formats/formatSchema.js';
import { beginMixedPhase, switchFormatPhase } from '../formats/formatPhaseStore.js';
import { listMembers } from './listMembers.js';
import { FleetMembership } from './membership.js';

let url: string;
beforeAll(async () => {
  url = await testDatabase('fleet_members');
  await using client = await connect(url);
  await ensureFleetSchema(client);
});
afterEach(() => void vi.useRealTimers());

describe('FleetMembership', () => {
  it('joins with the version and figures of its host, and heartbeats carry them as they change', async () => {
    await using client = await connect(url);
    await using host = await engineHost('1.0.0');
    let failed = 0;
    await using member = await FleetMembership.join({
      client,
      memberId: 'm-figures',
      plugin: 'engine',
      host,
      figures: () => ({ failedCalls: failed }),
      heartbeatMs: 0,
    });
    const [joined] = await listMembers(client, { plugin: 'engine' });
    expect(joined).toMatchObject({ id: 'm-figures', version: '1.0.0', live: true, pid: process.pid, leftAt: null });
    expect(joined?.figures).toEqual({ calls: 0, failedCalls: 0, refusals: 0, lastPauseMs: 0, cdcLagMs: 0 });

    await callEngine(host);
    await callEngine(host);
    failed = 3;
    await host.reload(enginePlugin('2.0.0', { fail: 'no' })).catch(() => undefined); // refused
    const row = await member.heartbeat();
    expect(row.figures).toMatchObject({ calls: 2, failedCalls: 3, refusals: 1 });
    await host.reload(enginePlugin('2.0.0'));
    expect(await member.heartbeat()).toMatchObject({ version: '2.0.0', figures: { calls: 0, refusals: 1 } });
  });

  it('heartbeats on its interval, one at a time', async () => {
    await using client = await connect(url);
    await using member = await FleetMembership.join({ client, memberId: 'm-beat', plugin: 'beat', heartbeatMs: 20 });
    const [first] = await listMembers(client, { plugin: 'beat' });
    await eventually('a later heartbeat', async () => {
      const [now] = await listMembers(client, { plugin: 'beat' });
      return now!.heartbeatAt > first!.heartbeatAt ? now : undefined;
    });
    await member.leave();
    expect(await listMembers(client, { plugin: 'beat' })).toMatchObject([{ live: false }]);
    const after: unknown = await member.heartbeat().catch((e: unknown) => e);
    expect(isReloadError(after) && after.code).toBe('RESOURCE_CLOSED');
  });

  it('is live by the database clock: a stale heartbeat is not live, whatever the process clock says', async () => {
    await using client = await connect(url);
    await using member = await FleetMembership.join({ client, memberId: 'm-stale', plugin: 'stale', heartbeatMs: 0 });
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 3_600_000); // the process's clock an hour ahead changes nothing
    expect(await listMembers(client, { plugin: 'stale', staleAfterMs: 5_000 })).toMatchObject([{ live: true }]);
    vi.useRealTimers();
    await client.query(`UPDATE baton_fleet.members SET heartbeat_at = now() - interval '6 seconds' WHERE id = $1`, [
      'm-stale',
    ]);
    expect(await listMembers(client, { plugin: 'stale', staleAfterMs: 5_000 })).toMatchObject([{ live: false }]);
    expect(await listMembers(client, { plugin: 'stale', staleAfterMs: 10_000, liveOnly: true })).toHaveLength(1);
    await member.heartbeat(); // a heartbeat makes it live again
    expect(await listMembers(client, { plugin: 'stale', staleAfterMs: 5_000, liveOnly: true })).toHaveLength(1);
  });

  it('keeps the last good engine figures when figures() throws, and reports the error', async () => {
    await using client = await connect(url);
    const errors: ReloadError[] = [];
    let calls = 0;
    await using member = await FleetMembership.join({
      client,
      memberId: 'm-broken-figures',
      plugin: 'broken',
      heartbeatMs: 0,
      figures: () => {
        calls += 1;
        if (calls > 1) throw new Error('counter unavailable');
        return { failedCalls: 7 };
      },
      onError: (error) => errors.push(error),
    });
    expect((await member.heartbeat()).figures.failedCalls).toBe(7);
    expect(errors.map((e) => e.code)).toEqual(['PROVIDER_FAILED']);
    expect(errors[0]?.message).toContain('counter unavailable');
  });

  it('refuses bad options with INVALID_ARGUMENT', async () => {
    await using client = await connect(url);
    for (const bad of [{ memberId: '' }, { memberId: 'x'.repeat(201) }, { plugin: 3 }, { heartbeatMs: -1 }]) {
      const error: unknown = await FleetMembership.join({
        client,
        memberId: 'ok',
        plugin: 'p',
        ...(bad as object),
      }).catch((e: unknown) => e);
      expect(isReloadError(error) && error.code).toBe('INVALID_ARGUMENT');
    }
    expect(await listMembers(client, { plugin: 'p' })).toEqual([]);
  });

  it('refuses to join with a version the fleet switched away from (it cannot read the new formats)', async () => {
    const schema = 'fleet_join_switched';
    await using client = await connect(url);
    await ensureFleetSchema(client, { schema });
    await using v1 = await engineHost('1.0.0');
    const join = (memberId: string, host: typeof v1) =>
      FleetMembership.join({ client, schema, memberId, plugin: 'engine', host, heartbeatMs: 0 });
    // Formats never used in this schema: anyone joins.
    await using early = await join('early', v1);
    await early.leave();
    await ensureFormatSchema(client, { schema });
    const key = { plugin: 'engine', version: '2.0.0', schema };
    await beginMixedPhase(client, { ...key, fromVersion: '1.0.0', pinned: { 'g-counter': 1 }, rollbackSafe: false });
    // While mixed, the old version may still join.
    await using mixed = await join('mixed', v1);
    await mixed.leave();
    await switchFormatPhase(client, { ...key, members: [{ id: 'm1', version: '2.0.0' }] });
    const refused = await join('late', v1).catch((e: unknown) => e);
    expect(refused).toMatchObject({
      code: 'SCHEMA_INCOMPATIBLE',
      step: 'join',
      message: expect.stringContaining('start it on 2.0.0'),
    });
    expect((await listMembers(client, { schema })).map((m) => m.id)).toEqual(['early', 'mixed']); // 'late' never joined
    await using v2 = await engineHost('2.0.0');
    await using joined = await join('late', v2);
    expect(joined.memberId).toBe('late');
  });
});
