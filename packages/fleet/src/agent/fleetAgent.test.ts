import { beforeAll, describe, expect, it } from 'vitest';
import { isReloadError } from '@baton/core';
import type { PluginDefinition } from '@baton/core';
import { connect, testDatabase } from '../__tests__/testDatabase.js';
import {
  engineHost,
  enginePlugin,
  eventually,
  insertRollout,
  issueCommand,
  latch,
  readCommand,
} from '../rollout/__tests__/fleetFixtures.js';
import { ensureFleetSchema } from '../store/fleetSchema.js';
import type { ArtifactRef } from '../store/rows.js';
import { FleetAgent } from './fleetAgent.js';
import type { FleetAgentOptions } from './fleetAgent.js';

let url: string;
beforeAll(async () => {
  url = await testDatabase('fleet_agent');
  await using client = await connect(url);
  await ensureFleetSchema(client);
});

const load = async (artifact: ArtifactRef): Promise<PluginDefinition> => enginePlugin(artifact.version);

async function startAgent(memberId: string, options: Partial<FleetAgentOptions> = {}): Promise<FleetAgent> {
  const host = options.host ?? (await engineHost('1.0.0'));
  return FleetAgent.start({
    url,
    memberId,
    plugin: 'engine',
    host,
    loadArtifact: load,
    pollMs: 0,
    heartbeatMs: 0,
    ...options,
  });
}

async function ended(client: Awaited<ReturnType<typeof connect>>, id: string) {
  return eventually(`command ${id} to end`, async () => {
    const row = await readCommand(client, id);
    return ['pending', 'running'].includes(row.state) ? undefined : row;
  });
}

describe('FleetAgent', () => {
  it('runs the reload addressed to it (woken by NOTIFY alone) and records done with its timings', async () => {
    await using client = await connect(url);
    await using host = await engineHost('1.0.0');
    await using agent = await startAgent('a-reload', { host });
    const rolloutId = await insertRollout(client);
    const command = await issueCommand(client, { rolloutId, memberId: agent.memberId, version: '2.0.0' });
    const row = await ended(client, command.id);
    expect(row).toMatchObject({ state: 'done', result: { outcome: 'done', version: '2.0.0' } });
    expect(row.result).toHaveProperty('timings.pauseMs');
    expect(row.result).toHaveProperty('handoffs');
    expect(row.startedAt).not.toBeNull();
    expect(host.plugins()[0]?.version).toBe('2.0.0');
    const { rows } = await client.query('SELECT version FROM baton_fleet.members WHERE id = $1', [agent.memberId]);
    expect(rows[0]).toEqual({ version: '2.0.0' }); // the heartbeat after the command
  });

  it('records a refused reload as failed with the ReloadError code, and the old version keeps serving', async () => {
    await using client = await connect(url);
    await using host = await engineHost('1.0.0');
    await using agent = await startAgent('a-refused', {
      host,
      loadArtifact: async (a) => enginePlugin(a.version, { fail: 'bad version' }),
    });
    const command = await issueCommand(client, {
      rolloutId: await insertRollout(client),
      memberId: agent.memberId,
      version: '2.0.0',
    });
    const row = await ended(client, command.id);
    expect(row).toMatchObject({
      state: 'failed',
      result: { outcome: 'failed', error: { code: 'REGISTRATION_FAILED', stillServing: '1.0.0' } },
    });
    expect(host.plugins()[0]?.version).toBe('1.0.0');
  });

  it('rolls back to an older version, skips a version it already serves, and runs commands oldest first', async () => {
    await using client = await connect(url);
    await using host = await engineHost('2.0.0');
    await using agent = await startAgent('a-rollback', { host });
    const rolloutId = await insertRollout(client);
    const back = await issueCommand(client, {
      rolloutId,
      memberId: agent.memberId,
      seq: 2,
      action: 'rollback',
      version: '1.0.0',
    });
    const again = await issueCommand(client, {
      rolloutId,
      memberId: agent.memberId,
      seq: 3,
      action: 'rollback',
      version: '1.0.0',
    });
    expect(await ended(client, back.id)).toMatchObject({ state: 'done', result: { version: '1.0.0' } });
    expect(await ended(client, again.id)).toMatchObject({
      state: 'done',
      result: { skipped: 'already serving this version' },
    });
    expect(host.stats('engine')).toMatchObject({ version: '1.0.0', reloadsOk: 1 });
  });

  it('runs a format command through its handler (default: a reload of the same artifact)', async () => {
    await using client = await connect(url);
    await using host = await engineHost('2.0.0');
    await using plain = await startAgent('a-format', { host });
    const rolloutId = await insertRollout(client);
    const c1 = await issueCommand(client, { rolloutId, memberId: plain.memberId, action: 'format', version: '2.0.0' });
    expect(await ended(client, c1.id)).toMatchObject({ state: 'done', result: { version: '2.0.0' } });
    expect(host.stats('engine').reloadsOk).toBe(1);
    const seen: string[] = [];
    await using hooked = await startAgent('a-format-hook', {
      format: async ({ command }) => {
        seen.push(command.artifact.version);
        return undefined;
      },
    });
    const c2 = await issueCommand(client, { rolloutId, memberId: hooked.memberId, action: 'format', version: '2.0.0' });
    expect(await ended(client, c2.id)).toMatchObject({ state: 'done' });
    expect(seen).toEqual(['2.0.0']);
  });

  it('records a command it cannot run on a closed host as failed (a claimed command always ends)', async () => {
    await using client = await connect(url);
    const host = await engineHost('1.0.0');
    await using agent = await startAgent('a-closed-host', { host });
    await host.close();
    const command = await issueCommand(client, {
      rolloutId: await insertRollout(client),
      memberId: agent.memberId,
      version: '2.0.0',
    });
    const row = await ended(client, command.id);
    expect(row).toMatchObject({ state: 'failed', result: { outcome: 'failed' } });
    expect(row.result).toHaveProperty('error.code', 'HOST_CLOSED');
  });

  it('a second agent with the same member id gets LOCKED', async () => {
    await using _first = await startAgent('a-twice');
    const error: unknown = await startAgent('a-twice').catch((e: unknown) => e);
    expect(isReloadError(error) && error.code).toBe('LOCKED');
  });

  it('runs a command at most once: an agent restarted mid-command marks it lost and never runs it', async () => {
    await using client = await connect(url);
    const gate = latch();
    const loads: string[] = [];
    const first = await startAgent('a-crash', {
      applicationName: 'agent-a-crash-1',
      loadArtifact: async (artifact, { command }) => {
        loads.push(`first ${command.id}`);
        await gate.promise;
        return enginePlugin(artifact.version);
      },
    });
    const command = await issueCommand(client, {
      rolloutId: await insertRollout(client),
      memberId: 'a-crash',
      version: '2.0.0',
    });
    await eventually('the first agent to claim', async () => (loads.length > 0 ? true : undefined));
    await client.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'agent-a-crash-1'`,
    );
    await using second = await startAgent('a-crash', {
      loadArtifact: async (artifact, { command: c }) => {
        loads.push(`second ${c.id}`);
        return enginePlugin(artifact.version);
      },
    });
    expect(await readCommand(client, command.id)).toMatchObject({ state: 'lost', result: { outcome: 'lost' } });
    gate.open();
    await first.close();
    second.wake(); // a claim in flight that close() waits for: it finds nothing to run
    await second.close();
    expect(loads).toEqual([`first ${command.id}`]);
    expect(await readCommand(client, command.id)).toMatchObject({ state: 'lost' });
  });
});
