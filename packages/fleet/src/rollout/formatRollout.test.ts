import { expect, it } from 'vitest';
import { isReloadError } from '@baton/core';
import { connect, testDatabase } from '../__tests__/testDatabase.js';
import { listMembers } from '../members/listMembers.js';
import { enginePlugin, eventually } from './__tests__/fleetFixtures.js';
import { startFleet } from './__tests__/fleetHarness.js';
import type { TestMember } from './__tests__/fleetHarness.js';
import { FleetCoordinator } from './fleetCoordinator.js';

it('a format rollout sends every member a format command of the version they all serve', async () => {
  const url = await testDatabase('fleet_format');
  const schema = 'fleet_format';
  const formatted: string[] = [];
  await using fleet = await startFleet(url, schema, ['m1', 'm2'], {
    agent: (id) => ({
      format: async ({ command, host, loadArtifact, signal }) => {
        formatted.push(`${id} ${command.artifact.version}`);
        const definition = await loadArtifact(command.artifact, { command, signal });
        return host.reload(definition, { allowSameVersion: true, signal });
      },
    }),
  });
  await using client = await connect(url);
  const upgrade = async (member: TestMember): Promise<void> => {
    await member.host.reload(enginePlugin('2.0.0'));
    await eventually(`${member.id}'s row to show 2.0.0`, async () => {
      const rows = await listMembers(client, { plugin: 'engine', schema });
      return rows.find((r) => r.id === member.id)?.version === '2.0.0' ? true : undefined;
    });
  };
  await using coordinator = await FleetCoordinator.open({ url, schema, pollMs: 100 });
  const to = { version: '2.0.0' };
  const request = { plugin: 'engine', action: 'format', from: to, to, policy: { gateWaitMs: 10 } } as const;

  await upgrade(fleet.members[0]!);
  const refused: unknown = await coordinator.rollout(request).catch((e: unknown) => e);
  expect(isReloadError(refused) && refused.code).toBe('INVALID_ARGUMENT'); // m2 still serves 1.0.0
  expect((refused as Error).message).toContain('m2 (1.0.0)');

  await upgrade(fleet.members[1]!);
  expect(await coordinator.rollout(request)).toMatchObject({ status: 'done', steps: 2 });
  expect(formatted).toEqual(['m1 2.0.0', 'm2 2.0.0']);
  expect(fleet.members.map((m) => m.committed)).toEqual([
    ['2.0.0', '2.0.0'],
    ['2.0.0', '2.0.0'],
  ]);
});
