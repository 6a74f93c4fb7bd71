import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { isReloadError } from '@baton/core';
import { generateSigningKey, signPluginDirectory, trustedKey } from '@baton/core/loader';
import { connect, testDatabase } from '../__tests__/testDatabase.js';
import type { FleetAgentEvents } from '../agent/fleetAgent.js';
import { enginePlugin, eventually, latch } from './__tests__/fleetFixtures.js';
import { serving, startFleet } from './__tests__/fleetHarness.js';
import { FleetCoordinator } from './fleetCoordinator.js';

let url: string;
let artifacts: string;
beforeAll(async () => {
  url = await testDatabase('fleet_halts');
  artifacts = await mkdtemp(join(tmpdir(), 'baton-fleet-artifacts-'));
});
afterAll(async () => {
  await rm(artifacts, { recursive: true, force: true });
});

it('a step that outlasts its timeout halts; the member rolls back when it is free again', async () => {
  const schema = 'fleet_timeout';
  const hold = latch();
  await using fleet = await startFleet(url, schema, ['m1', 'm2'], {
    loaders: {
      m1: async (a) => {
        if (a.version === '2.0.0') await hold.promise;
        return enginePlugin(a.version);
      },
    },
  });
  const ends: FleetAgentEvents['commandEnded'][] = [];
  fleet.members[0]!.agent.on('commandEnded', (e) => ends.push(e));
  await using coordinator = await FleetCoordinator.open({ url, schema, pollMs: 50 });
  const outcome = await coordinator.rollout({
    plugin: 'engine',
    from: { version: '1.0.0' },
    to: { version: '2.0.0' },
    policy: { gateWaitMs: 10, stepTimeoutMs: 300 },
  });
  expect(outcome).toMatchObject({
    status: 'halted',
    reason: { type: 'stepTimeout', member: 'm1' },
    summary: { rolledBack: [], unconfirmed: ['m1'] },
  });
  expect(serving(fleet.members)).toEqual({ m1: '1.0.0', m2: '1.0.0' });
  hold.open(); // m1's reload ends; its row says lost, so it is not recorded — then m1 runs its rollback
  await eventually('m1 to roll back', async () => (ends.length === 2 ? true : undefined));
  expect(ends.map((e) => [e.command.action, e.result.outcome, e.recorded])).toEqual([
    ['reload', 'done', false],
    ['rollback', 'done', true],
  ]);
  expect(fleet.members[0]!.committed).toEqual(['2.0.0', '1.0.0']);
  expect(serving(fleet.members)).toEqual({ m1: '1.0.0', m2: '1.0.0' });
});

const key = generateSigningKey();

/** A signed artifact of engine `version` (a plugin with no surfaces). */
async function artifact(version: string): Promise<string> {
  const dir = join(artifacts, version);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'package.json'), '{ "type": "module" }\n');
  await writeFile(join(dir, 'index.js'), `export default { name: 'engine', version: '${version}', register() {} };\n`);
  await signPluginDirectory(dir, key.privateKeyPem, { name: 'engine', version, entry: 'index.js' });
  return dir;
}

it('verifies both artifacts before anything moves when given trusted keys', async () => {
  const schema = 'fleet_verify';
  await using fleet = await startFleet(url, schema, ['m1']);
  await using coordinator = await FleetCoordinator.open({ url, schema });
  const trustedKeys = [trustedKey(key.publicKeyPem)];
  const from = { version: '1.0.0', location: await artifact('1.0.0') };
  const to = { version: '2.0.0', location: await artifact('2.0.0') };
  const refused = async (request: Partial<Parameters<FleetCoordinator['rollout']>[0]>): Promise<unknown> => {
    const error: unknown = await coordinator
      .rollout({ plugin: 'engine', from, to, trustedKeys, policy: { gateWaitMs: 10 }, ...request })
      .catch((e: unknown) => e);
    return isReloadError(error) ? error.code : error;
  };
  expect(await refused({ to: { version: '3.0.0', location: to.location } })).toBe('VERIFICATION_FAILED');
  expect(await refused({ to: { version: '2.0.0' } })).toBe('INVALID_ARGUMENT');
  await writeFile(join(to.location, 'index.js'), 'export default {};\n'); // tampered after signing
  expect(await refused({})).toBe('VERIFICATION_FAILED');
  expect(serving(fleet.members)).toEqual({ m1: '1.0.0' });
  await using client = await connect(url);
  expect((await client.query(`SELECT count(*)::int AS n FROM "${schema}".rollouts`)).rows).toEqual([{ n: 0 }]);
  await artifact('2.0.0');
  expect(
    await coordinator.rollout({ plugin: 'engine', from, to, trustedKeys, policy: { gateWaitMs: 10 } }),
  ).toMatchObject({ status: 'done' });
});
