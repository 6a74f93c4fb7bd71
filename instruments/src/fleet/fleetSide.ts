/**
 * A member's fleet side, from `@baton/fleet`: the format phases its plugin reads at `register()`
 * (the `FleetFormats` host service, refreshed before every reload the agent runs), and the
 * `FleetAgent` — its membership heartbeats carrying the version and figures, and the rollout
 * commands addressed to it, run on its host. Every command's start and end is printed.
 */
import type { PluginDefinition, PluginHost, ReloadTimings } from '@baton/core';
import { FLEET_FORMATS, FleetAgent, FleetFormats } from '@baton/fleet';
import type { ArtifactRef } from '@baton/fleet';
import type pg from 'pg';
import { say } from '../pgCrash/killSwitch.js';
import type { MemberOrders } from './memberOrders.js';
import { TRIAL_PLUGIN } from './trialPlugin.js';

/** How often a member's agent polls for commands when a notification is missed (the fallback of LISTEN/NOTIFY). */
export const AGENT_POLL_MS = 250;

/** The format phases as of now, as the host service `register()` reads (`FLEET_FORMATS`). */
export async function formatService(client: pg.Client): Promise<{ readonly [FLEET_FORMATS]: FleetFormats }> {
  return { [FLEET_FORMATS]: await FleetFormats.load(client) };
}

/** What the member gives its fleet side. */
export interface FleetSideOptions {
  readonly orders: MemberOrders;
  readonly host: PluginHost;
  /** The member's connection (the agent opens its own). */
  readonly client: pg.Client;
  readonly formats: FleetFormats;
  readonly loadVersion: (artifact: ArtifactRef) => Promise<PluginDefinition>;
  /** The member's clients' failed calls, for the heartbeats. */
  readonly failedCalls: () => number;
}

/** Starts the member's agent (it joins the fleet); resolves once it listens for commands. */
export async function joinFleet(options: FleetSideOptions): Promise<FleetAgent> {
  const { orders, client, formats } = options;
  // When the command in flight was claimed, began loading its artifact, and its reload committed or
  // rolled back: the member's own figures of a command and of the reload it ran.
  const times: { command: number; load?: number; reloadEnd?: number } = { command: 0 };
  options.host.on('committed', () => (times.reloadEnd = performance.now()));
  options.host.on('rolledBack', () => (times.reloadEnd = performance.now()));
  const agent = await FleetAgent.start({
    host: options.host,
    url: orders.fleetUrl,
    memberId: orders.memberId,
    plugin: TRIAL_PLUGIN,
    // The format phase may have changed since the last load: register() reads it from the snapshot.
    loadArtifact: async (artifact) => {
      times.load = performance.now();
      await formats.refresh(client);
      return options.loadVersion(artifact);
    },
    figures: () => ({ failedCalls: options.failedCalls() }),
    heartbeatMs: orders.heartbeatMs,
    pollMs: AGENT_POLL_MS,
  });
  agent.on('commandStarted', ({ command }) => {
    times.command = performance.now();
    delete times.load;
    delete times.reloadEnd;
    say({ event: 'command', id: command.id, seq: command.seq, action: command.action, to: command.artifact.version });
  });
  agent.on('commandEnded', ({ command, result, recorded }) => {
    const now = performance.now();
    const timings: ReloadTimings | undefined = 'timings' in result ? result.timings : undefined;
    say({
      event: 'commandEnded',
      id: command.id,
      action: command.action,
      outcome: result.outcome,
      recorded,
      // From claiming the command to its end as recorded, and from loading the artifact (verify,
      // evaluate) to the reload's commit or rollback: what reloading this one process by hand costs.
      ms: now - times.command,
      ...(times.load === undefined ? {} : { reloadMs: (times.reloadEnd ?? now) - times.load }),
      ...(timings === undefined ? {} : { totalMs: timings.totalMs, pauseMs: timings.pauseMs }),
      ...('version' in result ? { version: result.version } : {}),
      ...('error' in result ? { error: result.error } : {}),
    });
  });
  agent.on('interrupted', ({ commands }) => {
    say({ event: 'interrupted', ids: commands.map((c) => c.id) });
  });
  agent.on('error', ({ error }) => {
    say({ event: 'agentError', code: error.code, message: error.message });
  });
  return agent;
}
