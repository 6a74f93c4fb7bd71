import { definePlugin } from '@baton/core';
import type { PluginDefinition } from '@baton/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { connect, testDatabase } from '../__tests__/testDatabase.js';
import { countQueries } from '../store/queryable.js';
import type { ArtifactRef } from '../store/rows.js';
import { COUNTERS, countersV1, countersV2, countersV2Eager } from './__tests__/counterPlugins.js';
import { reloadErrorOf } from './__tests__/errors.js';
import { formatsPreflight, withFormatRefresh } from './fleetHooks.js';
import type { FormatPreflightContext } from './fleetHooks.js';
import { FleetFormats } from './fleetFormats.js';
import { beginMixedPhase, readFormatPhase, switchFormatPhase, undoFormatSwitch } from './formatPhaseStore.js';
import { ensureFormatSchema } from './formatSchema.js';

let url: string;
beforeAll(async () => {
  url = await testDatabase('fleet_hooks');
  await using client = await connect(url);
  await ensureFormatSchema(client);
});

/** A loader of the test plugins by version (`2.0.0-eager` names the wrong v2). */
function loaderOf(name = COUNTERS): (artifact: ArtifactRef) => Promise<PluginDefinition> {
  const versions: Record<string, PluginDefinition> = {
    '1.0.0': countersV1,
    '2.0.0': countersV2,
    '2.0.0-eager': countersV2Eager,
  };
  return async (artifact) => {
    const definition = versions[artifact.version]!;
    return definition.name === name
      ? definition
      : definePlugin({ name, version: definition.version, register: (r) => definition.register(r) });
  };
}

const contextOf = (
  client: FormatPreflightContext['client'],
  plugin: string,
  action: string,
  to: string,
  members: FormatPreflightContext['members'] = [],
): FormatPreflightContext => ({
  client,
  plugin,
  action,
  from: { version: '1.0.0' },
  to: { version: to },
  members,
  signal: new AbortController().signal,
});

describe("formatsPreflight (the coordinator's preflight hook)", () => {
  it('reload: runs the fleet checks and records phase mixed; refuses a v2 that writes format 2 while mixed', async () => {
    await using client = await connect(url);
    await formatsPreflight({ loadPlugin: loaderOf('h-good') })(contextOf(client, 'h-good', 'reload', '2.0.0'));
    expect(await readFormatPhase(client, { plugin: 'h-good', version: '2.0.0' })).toMatchObject({
      phase: 'mixed',
      pinned: { 'g-counter': 1 },
    });
    const refused = await reloadErrorOf(() =>
      formatsPreflight({ loadPlugin: loaderOf('h-eager') })(contextOf(client, 'h-eager', 'reload', '2.0.0-eager')),
    );
    expect(refused).toMatchObject({ code: 'SCHEMA_INCOMPATIBLE', plugin: 'h-eager', key: 'g-counter' });
    expect(await readFormatPhase(client, { plugin: 'h-eager', version: '2.0.0' })).toBeUndefined();
    const wrong = await reloadErrorOf(() =>
      formatsPreflight({ loadPlugin: loaderOf('other') })(contextOf(client, 'h-wrong', 'reload', '2.0.0')),
    );
    expect(wrong.code).toBe('INVALID_ARGUMENT');
  });

  it('format: switches only when every live member serves the new version', async () => {
    await using client = await connect(url);
    const hook = formatsPreflight({ loadPlugin: loaderOf('h-switch') });
    await hook(contextOf(client, 'h-switch', 'reload', '2.0.0'));
    for (const members of [
      [
        { id: 'm1', version: '2.0.0' },
        { id: 'm2', version: '1.0.0' },
      ],
      [{ id: 'm1', version: null }],
    ]) {
      const error = await reloadErrorOf(() => hook(contextOf(client, 'h-switch', 'format', '2.0.0', members)));
      expect(error.code).toBe('SCHEMA_INCOMPATIBLE');
      expect(await readFormatPhase(client, { plugin: 'h-switch', version: '2.0.0' })).toMatchObject({ phase: 'mixed' });
    }
    await hook(contextOf(client, 'h-switch', 'format', '2.0.0', [{ id: 'm1', version: '2.0.0' }]));
    expect(await readFormatPhase(client, { plugin: 'h-switch', version: '2.0.0' })).toMatchObject({
      phase: 'switched',
    });
  });

  it('other actions pass without a query; a missing loader is INVALID_ARGUMENT', async () => {
    await using client = await connect(url);
    const counted = countQueries(client);
    await formatsPreflight({ loadPlugin: loaderOf() })(contextOf(counted, COUNTERS, 'rollback', '1.0.0'));
    expect(counted.count).toBe(0);
    expect((await reloadErrorOf(() => formatsPreflight({} as never))).code).toBe('INVALID_ARGUMENT');
  });
});

describe('withFormatRefresh (the agent side)', () => {
  it('refreshes the host service before each load, so register() sees the phase recorded before the command', async () => {
    await using client = await connect(url);
    const formats = new FleetFormats();
    const seen: string[] = [];
    const load = withFormatRefresh(
      async (artifact: ArtifactRef) => {
        seen.push(formats.planOf('h-agent', artifact.version).phase);
        return artifact.version;
      },
      { formats, client },
    );
    expect(await load({ version: '2.0.0' })).toBe('2.0.0');
    await beginMixedPhase(client, {
      plugin: 'h-agent',
      version: '2.0.0',
      fromVersion: '1.0.0',
      pinned: { 'g-counter': 1 },
      rollbackSafe: false,
    });
    await load({ version: '2.0.0' });
    await switchFormatPhase(client, { plugin: 'h-agent', version: '2.0.0', members: [{ id: 'm', version: '2.0.0' }] });
    await load({ version: '2.0.0' });
    expect(seen).toEqual(['switched', 'mixed', 'switched']);
    // A halted format rollout undoes the switch; the next load pins again.
    expect(await undoFormatSwitch(client, { plugin: 'h-agent', version: '2.0.0' })).toMatchObject({ phase: 'mixed' });
    await load({ version: '2.0.0' });
    expect(seen.at(-1)).toBe('mixed');
    expect(await undoFormatSwitch(client, { plugin: 'h-none', version: '2.0.0' })).toBeUndefined();
  });

  it('a failed refresh fails the load before the loader runs', async () => {
    const client = await connect(url);
    await client.end();
    let loads = 0;
    const load = withFormatRefresh(
      async () => {
        loads++;
      },
      { formats: new FleetFormats(), client },
    );
    expect((await reloadErrorOf(() => load())).code).toBe('IO_FAILED');
    expect(loads).toBe(0);
  });
});
