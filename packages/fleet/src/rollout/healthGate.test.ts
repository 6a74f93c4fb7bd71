import { beforeAll, describe, expect, it } from 'vitest';
import { testDatabase } from '../__tests__/testDatabase.js';
import type { MemberFigures } from '../store/rows.js';
import { serving, startFleet } from './__tests__/fleetHarness.js';
import { FleetCoordinator } from './fleetCoordinator.js';
import { evaluateGate } from './healthGate.js';

const figures = (f: Partial<MemberFigures>): MemberFigures => ({
  calls: 0,
  failedCalls: 0,
  refusals: 0,
  lastPauseMs: 0,
  cdcLagMs: 0,
  ...f,
});

describe('evaluateGate', () => {
  it('counts failed calls and refusals since the reload began, pause and lag as they are', () => {
    const readings = [
      {
        member: 'a',
        figures: figures({ failedCalls: 12, refusals: 1, lastPauseMs: 3 }),
        before: figures({ failedCalls: 10 }),
      },
      { member: 'b', figures: figures({ failedCalls: 2, cdcLagMs: 900 }), before: figures({ failedCalls: 9 }) }, // restarted: all 2 count
      { member: 'c', figures: figures({ failedCalls: 1 }), before: undefined },
    ];
    expect(evaluateGate(readings, { failedCalls: 1, refusals: 0, pauseMs: 5, cdcLagMs: 1000 })).toEqual([
      { member: 'a', figure: 'failedCalls', value: 2, limit: 1 },
      { member: 'a', figure: 'refusals', value: 1, limit: 0 },
      { member: 'b', figure: 'failedCalls', value: 2, limit: 1 }, // a restart does not hide new failures
    ]);
    expect(evaluateGate(readings, { cdcLagMs: 500 })).toEqual([
      { member: 'b', figure: 'cdcLagMs', value: 900, limit: 500 },
    ]);
    expect(evaluateGate(readings, {})).toEqual([]);
  });

  it('judges the members not moved yet by their failed calls only, since the rollout began', () => {
    const bystanders = [
      {
        member: 'x',
        figures: figures({ failedCalls: 5, refusals: 3, lastPauseMs: 99 }),
        before: figures({ failedCalls: 4 }),
      },
      { member: 'y', figures: figures({ failedCalls: 7 }), before: figures({ failedCalls: 7 }) },
    ];
    expect(evaluateGate([], { failedCalls: 0, refusals: 0, pauseMs: 5 }, bystanders)).toEqual([
      { member: 'x', figure: 'failedCalls', value: 1, limit: 0 },
    ]);
    expect(evaluateGate([], { refusals: 0, pauseMs: 5 }, bystanders)).toEqual([]);
  });
});

describe('the gate against PostgreSQL', () => {
  let url: string;
  beforeAll(async () => {
    url = await testDatabase('fleet_gate');
  });

  // Heartbeats once a minute: the gate must ask for fresh figures instead of waiting for them.
  const slowHeartbeats = { heartbeatMs: 60_000 };
  const request = {
    plugin: 'engine',
    from: { version: '1.0.0' },
    to: { version: '2.0.0' },
    policy: { gateWaitMs: 100, staleAfterMs: 120_000, stepTimeoutMs: 10_000 },
  };

  it('asks the upgraded members for figures after its wait, so it sees what happened during it', async () => {
    const schema = 'fleet_gate_asks';
    let failed = 0;
    await using fleet = await startFleet(url, schema, ['m1', 'm2'], {
      agent: (id) => ({ ...slowHeartbeats, figures: () => ({ failedCalls: id === 'm1' ? failed : 0 }) }),
    });
    fleet.members[0]!.host.on('committed', () => {
      setTimeout(() => (failed = 2), 20); // m1's clients start failing after the reload, during the gate's wait
    });
    await using coordinator = await FleetCoordinator.open({ url, schema, pollMs: 100 });
    const outcome = await coordinator.rollout(request);
    expect(outcome).toMatchObject({
      status: 'halted',
      reason: { type: 'gateFailed', step: 1, violations: [{ member: 'm1', figure: 'failedCalls', value: 2 }] },
    });
    expect(serving(fleet.members)).toEqual({ m1: '1.0.0', m2: '1.0.0' });
  });

  it('passes at once when the members answer (no wait for their next heartbeat)', async () => {
    const schema = 'fleet_gate_quick';
    await using fleet = await startFleet(url, schema, ['m1', 'm2', 'm3'], { agent: () => slowHeartbeats });
    await using coordinator = await FleetCoordinator.open({ url, schema, pollMs: 100 });
    const outcome = await coordinator.rollout({ ...request, policy: { ...request.policy, maxUnavailable: 2 } });
    expect(outcome).toMatchObject({ status: 'done', steps: 2 });
    expect(serving(fleet.members)).toEqual({ m1: '2.0.0', m2: '2.0.0', m3: '2.0.0' });
  });

  it('halts when the members still on the old version start failing (the new one writes what they cannot read)', async () => {
    const schema = 'fleet_gate_bystanders';
    let broken = false;
    await using fleet = await startFleet(url, schema, ['m1', 'm2', 'm3'], {
      // m3 stays on 1.0.0 during step 1; its clients fail once m1 runs 2.0.0 (as if it sent states m3 cannot merge).
      agent: (id) => ({ ...slowHeartbeats, figures: () => ({ failedCalls: id === 'm3' && broken ? 3 : 0 }) }),
    });
    fleet.members[0]!.host.on('committed', () => {
      broken = true;
    });
    await using coordinator = await FleetCoordinator.open({ url, schema, pollMs: 100 });
    const outcome = await coordinator.rollout(request);
    expect(outcome).toMatchObject({
      status: 'halted',
      reason: { type: 'gateFailed', step: 1, violations: [{ member: 'm3', figure: 'failedCalls', value: 3 }] },
    });
    expect(serving(fleet.members)).toEqual({ m1: '1.0.0', m2: '1.0.0', m3: '1.0.0' });
  });
});
