/**
 * The fleet trials' coordinator (a child of the driver, so a trial can SIGKILL it mid-rollout and
 * start another): `@baton/fleet`'s `FleetCoordinator` rolls the `fleet-trial` plugin from one
 * version to another across the live members — the formats' pre-flight first (the new version must
 * read the old formats and the old version what the new one writes while the fleet is mixed; phase
 * `mixed` is recorded), then the steps — and, once every member runs the new version, switches the
 * format phase and rolls the format switch (Kafka's second step). With `resume`, it resumes the
 * plugin's active rollout from its rows instead, then finishes what is left of the two steps.
 *
 * Protocol: prints `ready`, takes its orders (`CoordinatorOrders`, one JSON line on stdin), prints
 * every coordinator event as `rollout.<event>` and each rollout's end as `outcome`, then `finished`
 * and exits 0. A failure prints `failed` and exits 1; it exits when stdin closes.
 */
import { createInterface } from 'node:readline';
import * as arrow from 'apache-arrow';
import { loadPluginVersion, trustedKey } from '@baton/core/loader';
import {
  FLEET_SCHEMA,
  FleetCoordinator,
  formatPreflight,
  LEASE_TABLE,
  listMembers,
  readFormatPhase,
  switchFormatPhase,
} from '@baton/fleet';
import type { ArtifactRef, FleetCoordinatorEvents, RolloutOutcome } from '@baton/fleet';
import * as kinds from '@baton/kinds';
import * as postgres from '@baton/postgres';
import pg from 'pg';
import { say } from '../pgCrash/killSwitch.js';
import type { CoordinatorOrders } from './coordinatorOrders.js';
import { TRIAL_ENV, TRIAL_PLUGIN } from './trialPlugin.js';
import type { TrialEnv } from './trialPlugin.js';

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
process.stdin.on('close', () => process.exit(3));
say({ event: 'ready' });
const first = await lines.next();
if (first.done === true) process.exit(3);
const orders = JSON.parse(first.value) as CoordinatorOrders;

const ref = (version: string): ArtifactRef => {
  const location = orders.artifacts[version];
  if (location === undefined) throw new Error(`no artifact of ${TRIAL_PLUGIN} ${version}`);
  return { version, location };
};
const trustedKeys = [trustedKey(orders.trustedKeyPem)];
const shared = { '@baton/kinds': kinds, '@baton/postgres': postgres, 'apache-arrow': arrow };
/** The environment the pre-flight runs each version's `register()` with (nothing is started). */
const env: TrialEnv = {
  memberId: 'coordinator',
  sinkUrl: orders.fleetUrl,
  output: 'preflight',
  stream: 'preflight',
  leaseSchema: FLEET_SCHEMA,
  leaseTable: LEASE_TABLE,
  leaseToken: () => 1n,
};

const client = new pg.Client({ connectionString: orders.fleetUrl, application_name: 'fleet trial coordinator' });
const coordinator = await FleetCoordinator.open({ url: orders.fleetUrl, pollMs: orders.pollMs });
const events: (keyof FleetCoordinatorEvents)[] = [
  'started',
  'stepStarted',
  'gate',
  'stepDone',
  'halted',
  'rolledBack',
  'done',
];
for (const event of events)
  coordinator.on(event, (payload) => {
    say({ event: `rollout.${event}`, ...payload });
  });
/** Prints how a rollout ended, with the wall time of the call that ran it (verification and pre-flight included). */
const report = (outcome: RolloutOutcome | undefined, action: string, since: number): void => {
  say({ event: 'outcome', action, wallMs: performance.now() - since, ...(outcome ?? { status: 'none' }) });
};

try {
  await client.connect();
  const load = async (version: string) =>
    (await loadPluginVersion(ref(version).location!, { trustedKeys, shared })).definition;
  let outcome: RolloutOutcome | undefined;
  let since = performance.now();
  if (orders.resume) {
    outcome = await coordinator.resume(TRIAL_PLUGIN);
    report(outcome, 'resume', since);
  } else {
    const [oldPlugin, newPlugin] = [await load(orders.from), await load(orders.to)];
    since = performance.now();
    outcome = await coordinator.rollout({
      plugin: TRIAL_PLUGIN,
      from: ref(orders.from),
      to: ref(orders.to),
      policy: orders.policy,
      trustedKeys,
      preflight: async () => {
        const checked = await formatPreflight({ client, oldPlugin, newPlugin, services: { [TRIAL_ENV]: env } });
        say({ event: 'preflight', pinned: checked.pinned, rollbackSafe: checked.rollbackSafe });
      },
    });
    report(outcome, 'reload', since);
  }
  const phase = await readFormatPhase(client, { plugin: TRIAL_PLUGIN, version: orders.to });
  if (orders.switchFormats && (outcome === undefined || outcome.status === 'done') && phase?.phase === 'mixed') {
    const members = await listMembers(client, { plugin: TRIAL_PLUGIN, liveOnly: true });
    await switchFormatPhase(client, {
      plugin: TRIAL_PLUGIN,
      version: orders.to,
      members: members.map((m) => ({ id: m.id, version: m.version ?? 'none' })),
    });
    say({ event: 'formatSwitched', version: orders.to });
    since = performance.now();
    const switched = await coordinator.rollout({
      plugin: TRIAL_PLUGIN,
      action: 'format',
      from: ref(orders.to),
      to: ref(orders.to),
      policy: orders.policy,
    });
    report(switched, 'format', since);
  }
  say({ event: 'finished' });
  await coordinator.close();
  await client.end();
  process.exit(0);
} catch (error) {
  say({
    event: 'failed',
    message: error instanceof Error ? error.message : String(error),
    code: (error as { code?: unknown }).code,
  });
  process.exit(1);
}
