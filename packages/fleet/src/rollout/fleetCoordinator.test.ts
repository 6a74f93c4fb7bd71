import { beforeAll, describe, expect, it } from 'vitest';
import { isReloadError } from '@baton/core';
import { connect, testDatabase } from '../__tests__/testDatabase.js';
import { enginePlugin, latch } from './__tests__/fleetFixtures.js';
import { serving, startFleet } from './__tests__/fleetHarness.js';
import { FleetCoordinator } from './fleetCoordinator.js';
import type { FleetCoordinatorEvents } from './rolloutEvents.js';
import type { RolloutRequest } from './rolloutRequest.js';

let url: string;
beforeAll(async () => {
  url = await testDatabase('fleet_rollout');
});

const request = (policy: RolloutRequest['policy'] = {}): RolloutRequest => ({
  plugin: 'engine',
  from: { version: '1.0.0' },
  to: { version: '2.0.0' },
  policy: { gateWaitMs: 60, staleAfterMs: 2000, stepTimeoutMs: 10_000, ...policy },
});

/** Records a coordinator's events in order, as `name` or `name:detail`. */
function record(coordinator: FleetCoordinator): { log: string[]; stepsDone: FleetCoordinatorEvents['stepDone'][] } {
  const log: string[] = [];
  const stepsDone: FleetCoordinatorEvents['stepDone'][] = [];
  coordinator.on('started', (e) => log.push(`started${e.resumed ? ' (resumed)' : ''}`));
  coordinator.on('stepStarted', (e) => log.push(`stepStarted ${e.step}/${e.steps} ${e.members.join(',')}`));
  coordinator.on('gate', (e) => log.push(`gate ${e.step} ${e.passed ? 'passed' : 'failed'}`));
  coordinator.on('stepDone', (e) => {
    stepsDone.push(e);
    log.push(`stepDone ${e.step}`);
  });
  coordinator.on('halted', (e) => log.push(`halted ${e.reason.type}`));
  coordinator.on('rolledBack', (e) => log.push(`rolledBack ${e.summary.rolledBack.join(',')} (${e.reason?.type})`));
  coordinator.on('done', () => log.push('done'));
  return { log, stepsDone };
}

async function commandRows(
  schema: string,
): Promise<{ member_id: string; seq: number; action: string; state: string }[]> {
  await using client = await connect(url);
  const { rows } = await client.query<{ member_id: string; seq: number; action: string; state: string }>(
    `SELECT member_id, seq, action, state FROM "${schema}".commands ORDER BY member_id, seq`,
  );
  return rows;
}

describe('FleetCoordinator', () => {
  it('rolls a version across three members: canary, then a batch, a gate after each step', async () => {
    const schema = 'fleet_clean';
    await using fleet = await startFleet(url, schema, ['m1', 'm2', 'm3']);
    await using coordinator = await FleetCoordinator.open({ url, schema, pollMs: 200 });
    const { log, stepsDone } = record(coordinator);
    const outcome = await coordinator.rollout(request({ canary: 1, maxUnavailable: 2 }));
    expect(outcome).toMatchObject({ status: 'done', steps: 2, resumed: false, reason: undefined });
    expect(log).toEqual([
      'started',
      'stepStarted 1/2 m1',
      'gate 1 passed',
      'stepDone 1',
      'stepStarted 2/2 m2,m3',
      'gate 2 passed',
      'stepDone 2',
      'done',
    ]);
    expect(serving(fleet.members)).toEqual({ m1: '2.0.0', m2: '2.0.0', m3: '2.0.0' });
    expect(fleet.members.map((m) => m.committed)).toEqual([['2.0.0'], ['2.0.0'], ['2.0.0']]);
    for (const step of stepsDone) expect(step.roundTrips).toBeGreaterThanOrEqual(3); // issue, observe, gate read
    expect(outcome.roundTrips).toBeGreaterThanOrEqual(stepsDone[0]!.roundTrips + stepsDone[1]!.roundTrips);
    expect(await commandRows(schema)).toEqual(
      ['m1', 'm2', 'm3'].map((member_id) => ({ member_id, seq: 1, action: 'reload', state: 'done' })),
    );
  });

  it('halts when the version is refused on one member, and rolls back every member it moved', async () => {
    const schema = 'fleet_refused';
    await using fleet = await startFleet(url, schema, ['m1', 'm2', 'm3'], {
      loaders: { m2: async (a) => enginePlugin(a.version, { fail: a.version === '2.0.0' ? 'm2 refuses' : undefined }) },
    });
    await using coordinator = await FleetCoordinator.open({ url, schema, pollMs: 200 });
    const { log } = record(coordinator);
    const outcome = await coordinator.rollout(request({ canary: 1, maxUnavailable: 1 }));
    expect(outcome).toMatchObject({
      status: 'halted',
      reason: { type: 'commandFailed', member: 'm2', error: { code: 'REGISTRATION_FAILED' } },
      summary: { rolledBack: ['m1'], unconfirmed: [], skipped: [] },
    });
    expect(log).toEqual([
      'started',
      'stepStarted 1/3 m1',
      'gate 1 passed',
      'stepDone 1',
      'stepStarted 2/3 m2',
      'halted commandFailed',
      'rolledBack m1 (commandFailed)',
    ]);
    expect(serving(fleet.members)).toEqual({ m1: '1.0.0', m2: '1.0.0', m3: '1.0.0' });
    expect(fleet.members.map((m) => m.committed)).toEqual([['2.0.0', '1.0.0'], [], []]);
    expect(await commandRows(schema)).toEqual([
      { member_id: 'm1', seq: 1, action: 'reload', state: 'done' },
      { member_id: 'm1', seq: 2, action: 'rollback', state: 'done' },
      { member_id: 'm2', seq: 1, action: 'reload', state: 'failed' },
    ]);
    await using client = await connect(url);
    const { rows } = await client.query(`SELECT state, halted_reason FROM "${schema}".rollouts`);
    expect(rows).toMatchObject([{ state: 'halted', halted_reason: { type: 'commandFailed', rolledBack: ['m1'] } }]);
  });

  it('a coordinator that crashes mid-rollout is replaced by one that resumes without running a command twice', async () => {
    const schema = 'fleet_resume';
    const hold = latch();
    const claimed = latch();
    await using fleet = await startFleet(url, schema, ['m1', 'm2', 'm3'], {
      loaders: {
        m2: async (a) => {
          claimed.open();
          await hold.promise;
          return enginePlugin(a.version);
        },
      },
    });
    const first = await FleetCoordinator.open({ url, schema, pollMs: 200, applicationName: 'coordinator-crashing' });
    const crashed = first.rollout(request()).catch((e: unknown) => e);
    await claimed.promise; // m2 runs its reload: step 2 is under way
    await using admin = await connect(url);
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, [
      'coordinator-crashing',
    ]);
    const error = await crashed;
    expect(isReloadError(error) && error.code).toBe('IO_FAILED');
    await first.close();

    await using second = await FleetCoordinator.open({ url, schema, pollMs: 200 });
    const { log } = record(second);
    const resumed = second.rollout(request());
    hold.open();
    expect(await resumed).toMatchObject({ status: 'done', resumed: true, steps: 3 });
    expect(log[0]).toBe('started (resumed)');
    expect(log).toContain('stepStarted 3/3 m3');
    expect(fleet.members.map((m) => m.committed)).toEqual([['2.0.0'], ['2.0.0'], ['2.0.0']]);
    expect((await commandRows(schema)).map((r) => `${r.member_id} ${r.seq} ${r.state}`)).toEqual([
      'm1 1 done',
      'm2 1 done',
      'm3 1 done',
    ]);
  });

  it('a second coordinator of the same plugin gets LOCKED while the first runs its rollout', async () => {
    const schema = 'fleet_locked';
    const hold = latch();
    const claimed = latch();
    await using _fleet = await startFleet(url, schema, ['m1', 'm2'], {
      loaders: {
        m1: async (a) => {
          claimed.open();
          await hold.promise;
          return enginePlugin(a.version);
        },
      },
    });
    await using first = await FleetCoordinator.open({ url, schema, pollMs: 200 });
    await using second = await FleetCoordinator.open({ url, schema, pollMs: 200, applicationName: 'second' });
    const running = first.rollout(request());
    await claimed.promise;
    for (const attempt of [
      () => second.rollout(request()),
      () => second.resume('engine'),
      () => first.rollout(request()),
    ]) {
      const error: unknown = await attempt().catch((e: unknown) => e);
      expect(isReloadError(error) && error.code).toBe('LOCKED');
    }
    hold.open();
    expect(await running).toMatchObject({ status: 'done' });
    expect(await second.resume('engine')).toBeUndefined(); // nothing active any more
  });

  for (const onMemberLoss of ['halt', 'continue'] as const) {
    it(`a member that stops heartbeating mid-rollout is lost: policy '${onMemberLoss}'`, async () => {
      const schema = `fleet_loss_${onMemberLoss}`;
      await using fleet = await startFleet(url, schema, ['m1', 'm2', 'm3']);
      await using coordinator = await FleetCoordinator.open({ url, schema, pollMs: 100 });
      await using admin = await connect(url);
      coordinator.on('started', () => {
        // m3's process dies: its connection goes, its heartbeats stop (its row is not marked left)
        void admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, [
          `${schema} m3`,
        ]);
      });
      const outcome = await coordinator.rollout(request({ onMemberLoss, staleAfterMs: 1500 }));
      if (onMemberLoss === 'halt') {
        expect(outcome).toMatchObject({ status: 'halted', reason: { type: 'memberLost', member: 'm3' } });
        expect(serving(fleet.members)).toMatchObject({ m1: '1.0.0', m2: '1.0.0' });
      } else {
        expect(outcome).toMatchObject({ status: 'done', summary: { skipped: ['m3'], rolledBack: [] } });
        expect(serving(fleet.members)).toMatchObject({ m1: '2.0.0', m2: '2.0.0', m3: '1.0.0' });
      }
      expect(fleet.members[2]!.committed).toEqual([]);
    });
  }

  it('a failed health gate halts and rolls back: failed calls the engine reports after the upgrade', async () => {
    const schema = 'fleet_gate';
    const failing = new Set<string>();
    await using fleet = await startFleet(url, schema, ['m1', 'm2'], {
      agent: (id) => ({ figures: () => ({ failedCalls: failing.has(id) ? 4 : 0 }) }),
    });
    fleet.members[0]!.host.on('committed', (e) => {
      if (e.plugins[0]!.to === '2.0.0') failing.add('m1'); // 2.0.0 fails its clients' calls on m1
    });
    await using coordinator = await FleetCoordinator.open({ url, schema, pollMs: 100 });
    const gates: FleetCoordinatorEvents['gate'][] = [];
    coordinator.on('gate', (e) => gates.push(e));
    const outcome = await coordinator.rollout(request());
    expect(outcome).toMatchObject({
      status: 'halted',
      reason: {
        type: 'gateFailed',
        step: 1,
        violations: [{ member: 'm1', figure: 'failedCalls', value: 4, limit: 0 }],
      },
      summary: { rolledBack: ['m1'] },
    });
    expect(gates).toHaveLength(1);
    expect(serving(fleet.members)).toEqual({ m1: '1.0.0', m2: '1.0.0' });
  });

  it('a pre-flight that throws refuses the rollout before any process moves', async () => {
    const schema = 'fleet_preflight';
    await using fleet = await startFleet(url, schema, ['m1', 'm2']);
    await using coordinator = await FleetCoordinator.open({ url, schema });
    const seen: string[][] = [];
    const error: unknown = await coordinator
      .rollout({
        ...request(),
        preflight: async ({ plan }) => {
          seen.push(plan.flat());
          throw new Error('old version cannot read the new format');
        },
      })
      .catch((e: unknown) => e);
    expect(isReloadError(error) && error.code).toBe('PROVIDER_FAILED');
    expect((error as Error).message).toContain('old version cannot read the new format');
    expect(seen).toEqual([['m1', 'm2']]);
    await using client = await connect(url);
    expect((await client.query(`SELECT count(*)::int AS n FROM "${schema}".rollouts`)).rows).toEqual([{ n: 0 }]);
    expect(serving(fleet.members)).toEqual({ m1: '1.0.0', m2: '1.0.0' });
  });

  it('refuses a member on a third version, an unknown plugin, and bad policies', async () => {
    const schema = 'fleet_refuse';
    await using fleet = await startFleet(url, schema, ['m1']);
    await using coordinator = await FleetCoordinator.open({ url, schema });
    const codes = async (r: RolloutRequest): Promise<unknown> =>
      coordinator.rollout(r).then(
        () => 'resolved',
        (e: unknown) => (isReloadError(e) ? e.code : e),
      );
    expect(await codes({ ...request(), from: { version: '0.9.0' }, to: { version: '3.0.0' } })).toBe(
      'INVALID_ARGUMENT',
    );
    expect(await codes({ ...request(), plugin: 'nobody' })).toBe('INVALID_ARGUMENT');
    expect(await codes(request({ maxUnavailable: 0 }))).toBe('INVALID_ARGUMENT');
    expect(await codes(request({ onMemberLoss: 'ignore' as never }))).toBe('INVALID_ARGUMENT');
    expect(await codes({ ...request(), to: { version: '1.0.0' } })).toBe('INVALID_ARGUMENT');
    expect(serving(fleet.members)).toEqual({ m1: '1.0.0' });
  });
});
