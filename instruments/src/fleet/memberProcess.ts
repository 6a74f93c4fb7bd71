/**
 * A fleet member: one engine process of the fleet trials (a child of the driver, run with
 * `node --import tsx --conditions=@baton/source`). A `PluginHost` loads the signed `fleet-trial`
 * artifact; clients call its scalar function `score` at a constant rate (every call counted, a
 * failed one reported); its g-counter replica is incremented and exchanged with the other members
 * through PostgreSQL; it competes for the CDC stream's lease and, while it holds it, pumps the slot
 * into the fenced sink; its fleet side (membership heartbeats, the agent running rollout commands)
 * is `fleetSide.ts`.
 *
 * Protocol: one JSON object per line on stdout (`ready`, `joined`, `figures`, reload phases, CDC
 * events, `finished`, `converged`, `stopped`, and `kill`/`freeze` at a planned point); orders and
 * then commands (`memberOrders.ts`) one JSON line each on stdin. It exits when stdin closes.
 */
import { createInterface } from 'node:readline';
import { setInterval } from 'node:timers';
import * as arrow from 'apache-arrow';
import { createPluginHost, reloadEventNames } from '@baton/core';
import type { PluginDefinition } from '@baton/core';
import { loadPluginVersion, trustedKey } from '@baton/core/loader';
import { FLEET_FORMATS, FLEET_SCHEMA, LEASE_TABLE } from '@baton/fleet';
import type { ArtifactRef } from '@baton/fleet';
import * as kinds from '@baton/kinds';
import * as postgres from '@baton/postgres';
import pg from 'pg';
import { say } from '../pgCrash/killSwitch.js';
import { CdcOwner } from './cdcOwner.js';
import { startClients } from './clientLoad.js';
import { CrdtGossip } from './crdtGossip.js';
import type { CounterOp } from './crdtGossip.js';
import { formatService, joinFleet } from './fleetSide.js';
import type { MemberCommand, MemberOrders } from './memberOrders.js';
import { MemberSwitch } from './memberSwitch.js';
import { CRDT_KIND, TRIAL_ENV, TRIAL_PLUGIN } from './trialPlugin.js';
import type { TrialEnv } from './trialPlugin.js';

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
process.stdin.on('close', () => process.exit(3)); // the driver is gone: so is its member
const nextLine = async (): Promise<string> => {
  const line = await lines.next();
  if (line.done === true) process.exit(3);
  return line.value;
};
const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

say({ event: 'ready' });
const orders = JSON.parse(await nextLine()) as MemberOrders;
const memberSwitch = new MemberSwitch();
if (orders.plan) memberSwitch.arm(orders.plan);

const client = new pg.Client({
  connectionString: orders.fleetUrl,
  application_name: `fleet member ${orders.memberId}`,
});
client.on('error', () => undefined);
await client.connect();
// eslint-disable-next-line prefer-const -- made once the host is (it pumps through the host); read later
let cdc: CdcOwner;
const env: TrialEnv = {
  memberId: orders.memberId,
  sinkUrl: orders.fleetUrl,
  output: orders.output,
  stream: orders.stream,
  leaseSchema: FLEET_SCHEMA,
  leaseTable: LEASE_TABLE,
  // The sink writer's fencing token: the lease the member's CDC side took last (read at each writer start).
  leaseToken: () => cdc.token,
};

const trustedKeys = [trustedKey(orders.trustedKeyPem)];
const shared = { '@baton/kinds': kinds, '@baton/postgres': postgres, 'apache-arrow': arrow };
/** Loads (verifies, evaluates) the signed artifact of a version: where the artifact says, or the driver's of that version. */
async function loadVersion(artifact: ArtifactRef): Promise<PluginDefinition> {
  const dir = artifact.location ?? orders.artifacts[artifact.version];
  if (dir === undefined) throw new Error(`no artifact of ${TRIAL_PLUGIN} ${artifact.version}`);
  return (await loadPluginVersion(dir, { trustedKeys, shared })).definition;
}

const formats = await formatService(client);
const services = orders.brokenFormats === true ? { [TRIAL_ENV]: env } : { [TRIAL_ENV]: env, ...formats };
const host = createPluginHost({ services, drainTimeoutMs: 5_000 });
for (const event of reloadEventNames)
  host.on(event, (e) => {
    const move = e.plugins.map((p) => `${p.from}→${p.to}`).join(',');
    if (event === 'started' || event === 'committed' || event === 'rolledBack')
      say({
        event: `reload.${event}`,
        move,
        ...('pauseMs' in e ? { pauseMs: e.pauseMs } : {}),
        ...('error' in e ? { code: e.error.code, message: e.error.message } : {}),
      });
    if (event !== 'rolledBack') memberSwitch.reach(event, { move });
  });

await host.load(await loadVersion({ version: orders.startVersion }));
const version = (): string => host.stats(TRIAL_PLUGIN).version;
const counter = await host.openCrdt<CounterOp, number>({ name: 'hits', key: CRDT_KIND });
const gossip = new CrdtGossip(client, orders.memberId, counter, version);
const restored = await gossip.restore();
const clients = startClients(host, { clients: orders.clients, intervalMs: orders.callIntervalMs });
let increments = 0;
const incrementing = setInterval(() => {
  increments++;
  counter.apply({ replica: orders.memberId, by: 1 }).catch((error: unknown) => {
    clients.counts.failed++;
    clients.counts.firstError ??= `g-counter apply: ${errorText(error)}`;
  });
}, orders.incrementMs);
const gossiping = setInterval(() => {
  gossip.round().catch((error: unknown) => {
    gossip.counts.failed++;
    gossip.counts.lastError ??= `exchange: ${errorText(error)}`;
  });
}, orders.gossipMs);

cdc = new CdcOwner(
  host,
  {
    sourceUrl: orders.sourceUrl,
    slot: orders.slot,
    publication: orders.publication,
    fleetUrl: orders.fleetUrl,
    stream: orders.stream,
    owner: orders.memberId,
    ttlMs: orders.leaseTtlMs,
    renewMs: orders.leaseRenewMs,
    marker: orders.marker,
  },
  memberSwitch,
);
if (orders.cdc) cdc.compete();

const figures = () => ({
  version: version(),
  calls: clients.counts.calls,
  failedCalls: clients.counts.failed,
  firstError: clients.counts.firstError,
  increments,
  gossip: { ...gossip.counts },
  cdc: { ...cdc.counts, owner: cdc.owner },
});
const fleet = await joinFleet({
  orders,
  host,
  client,
  formats: formats[FLEET_FORMATS],
  loadVersion,
  failedCalls: () => clients.counts.failed + gossip.counts.failed,
});
say({ event: 'joined', version: version(), restored });
const reporting = setInterval(() => {
  say({ event: 'figures', ...figures() });
}, orders.heartbeatMs);

for (;;) {
  const command = JSON.parse(await nextLine()) as MemberCommand;
  switch (command.cmd) {
    case 'arm':
      memberSwitch.arm(command.plan);
      break;
    case 'cdc':
      cdc.compete();
      break;
    case 'finish': {
      clearInterval(incrementing);
      clearInterval(gossiping);
      await clients.stop();
      await gossip.publish();
      say({ event: 'finished', ...figures() });
      break;
    }
    case 'converge': {
      await gossip.pull();
      say({ event: 'converged', value: await counter.value(), ...figures() });
      break;
    }
    case 'stop': {
      clearInterval(reporting);
      await cdc.stop();
      const last = figures();
      await fleet.close();
      await host.close();
      await client.end();
      say({ event: 'stopped', ...last });
      process.exit(0);
    }
  }
}
