/** A fleet of in-process members for the rollout tests: each its own PluginHost and FleetAgent. */
import type { PluginDefinition, PluginHost } from '@baton/core';
import { FleetAgent } from '../../agent/fleetAgent.js';
import type { FleetAgentOptions } from '../../agent/fleetAgent.js';
import type { LoadContext } from '../../agent/runCommand.js';
import type { ArtifactRef } from '../../store/rows.js';
import { engineHost, enginePlugin } from './fleetFixtures.js';

/** One member: its host, its agent, and the reloads its host committed (version by version). */
export interface TestMember {
  readonly id: string;
  readonly host: PluginHost;
  agent: FleetAgent;
  readonly committed: string[];
}

/** How one member loads artifacts (default: the engine plugin at the artifact's version). */
export type TestLoader = (artifact: ArtifactRef, context: LoadContext) => Promise<PluginDefinition>;

/** Starts `ids.length` members serving engine 1.0.0 in `schema`. */
export async function startFleet(
  url: string,
  schema: string,
  ids: readonly string[],
  options: {
    readonly loaders?: Readonly<Record<string, TestLoader>>;
    readonly agent?: (id: string) => Partial<FleetAgentOptions>;
  } = {},
): Promise<{ readonly members: TestMember[] } & AsyncDisposable> {
  const members: TestMember[] = [];
  for (const id of ids) {
    const host = await engineHost('1.0.0');
    const committed: string[] = [];
    host.on('committed', (e) => committed.push(e.plugins[0]!.to));
    const agent = await FleetAgent.start({
      url,
      schema,
      memberId: id,
      plugin: 'engine',
      host,
      loadArtifact: options.loaders?.[id] ?? (async (artifact) => enginePlugin(artifact.version)),
      heartbeatMs: 50,
      pollMs: 500,
      applicationName: `${schema} ${id}`,
      ...options.agent?.(id),
    });
    members.push({ id, host, agent, committed });
  }
  return {
    members,
    async [Symbol.asyncDispose]() {
      for (const member of members) {
        await member.agent.close();
        await member.host.close();
      }
    },
  };
}

/** The version each member's host serves, by member id. */
export function serving(members: readonly TestMember[]): Record<string, string | undefined> {
  return Object.fromEntries(members.map((m) => [m.id, m.host.plugins()[0]?.version]));
}
