/**
 * The engine of the PostgreSQL crash trial (a child process of `pgCrashTrial.ts`): a plugin host whose
 * two plugin versions each register a PostgreSQL CDC output, a change source on the slot, a managed
 * CDC stream fed by `pumpChanges`, and reloads between the versions in a loop while it pumps. It
 * SIGKILLs itself at the planned point (`killSwitch.ts`).
 *
 * Protocol (one JSON object per line): it prints `ready` once its modules are loaded and waits for
 * `go` on stdin (`EngineOrders`: where to work, the kill plan, final, marker, broken) — a warm
 * standby, so it races the dead engine's slot and sink lock the way a supervisor's restart would. It
 * prints `slotBusy` if the slot is still read by another connection, `locked` at the sink's first
 * `LOCKED`, `sinkTaken` once its stream started, and `acquired` once it holds both (with how long
 * each took); waits for `pump`, then pumps until it dies (`kill` first) or, when `final`, until the
 * batch holding `marker` is delivered and confirmed, and prints `drained`. It exits when stdin closes
 * (the trial is gone).
 */
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { createPluginHost, definePlugin, isReloadError, reloadEventNames } from '@baton/core';
import type { CdcBatch, ManagedCdcStream, PluginDefinition } from '@baton/core';
import { parseLsn, postgresCdcOutput, postgresChangeSource, pumpChanges, readChanges } from '@baton/postgres';
import type { PostgresChangeSource } from '@baton/postgres';
import pg from 'pg';
import { KillSwitch, hookSinkCommit, say } from './killSwitch.js';
import type { EngineOrders } from './engineOrders.js';
import { handoffTracker, tappedOutput } from './tappedOutput.js';

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
process.stdin.on('close', () => process.exit(3)); // the trial is gone: so is its engine
const nextLine = async (): Promise<string> => {
  const line = await lines.next();
  if (line.done === true) process.exit(3);
  return line.value;
};

say({ event: 'ready' });
const orders = JSON.parse(await nextLine()) as EngineOrders;
const { sourceUrl, sinkUrl, slot, publication, output } = orders.target;
const kill = new KillSwitch(orders.plan ?? undefined);
const host = createPluginHost();
for (const event of reloadEventNames)
  if (event !== 'rolledBack')
    host.on(event, () => {
      kill.reach(event);
    });
host.on('rolledBack', (event) => {
  say({ event: 'rolledBack', phase: event.phase, message: event.error.message });
});
const handingOff = handoffTracker(host);
const delivery = { active: false };
hookSinkCommit(kill, () => delivery.active);
const plugin = (version: string): PluginDefinition =>
  definePlugin({
    name: 'pg-crash',
    version,
    register(r) {
      r.cdcOutput(tappedOutput(postgresCdcOutput({ name: output, url: sinkUrl }), kill, handingOff, delivery));
    },
  });
const versions = [plugin('1.0.0'), plugin('2.0.0')];
await host.load(versions[0]!);

/** Starts the managed stream, retrying while the dead engine's session still holds the sink (`LOCKED`). */
async function startStream(): Promise<{ feed: ManagedCdcStream; locked: number; ms: number }> {
  const started = performance.now();
  for (let locked = 0; ; locked++) {
    try {
      const feed = await host.startCdc({ name: 'events', key: output });
      say({ event: 'sinkTaken' });
      return { feed, locked, ms: performance.now() - started };
    } catch (error) {
      if (!isReloadError(error) || error.code !== 'LOCKED' || performance.now() - started > 60_000) throw error;
      if (locked === 0) say({ event: 'locked', message: error.message });
      await delay(Math.min(5 * 2 ** locked, 200));
    }
  }
}

/** Opens the change source; it waits (up to `acquireTimeoutMs`) while the dead engine's walsender holds the slot. */
async function openSource(): Promise<{ source: PostgresChangeSource; wasActive: boolean; ms: number }> {
  const started = performance.now();
  const probe = new pg.Client({ connectionString: sourceUrl });
  probe.on('error', () => undefined);
  await probe.connect();
  const row = (
    await probe.query<{ active: boolean }>('SELECT active FROM pg_replication_slots WHERE slot_name = $1', [slot])
  ).rows[0];
  await probe.end();
  if (row?.active === true) say({ event: 'slotBusy' });
  for (;;) {
    try {
      const source = await postgresChangeSource({ url: sourceUrl, slot, publication, acquireTimeoutMs: 10_000 });
      return { source, wasActive: row?.active === true, ms: performance.now() - started };
    } catch (error) {
      // Still busy after acquireTimeoutMs (a hung engine the trial has not killed yet): try again.
      if (!isReloadError(error) || error.code !== 'LOCKED' || performance.now() - started > 60_000) throw error;
    }
  }
}

const [stream, opened] = await Promise.all([startStream(), openSource()]);
const { feed } = stream;
const { source } = opened;
say({
  event: 'acquired',
  slotWasActive: opened.wasActive,
  slotMs: opened.ms,
  sinkLocked: stream.locked,
  sinkMs: stream.ms,
});
if ((await nextLine()) !== 'pump') process.exit(3);

/** The broken variant's early confirmation: waits until the server shows it, so the kill cannot beat it. */
async function confirmEarly(batch: CdcBatch): Promise<void> {
  source.confirm(batch.lsnEnd);
  for (;;) {
    const { confirmedFlushLsn } = await source.slotLag();
    if (confirmedFlushLsn >= batch.lsnEnd) return;
    await delay(5);
  }
}

const stop = new AbortController();
let batchSeen: (() => void) | undefined;
const pumping = pumpChanges(
  source,
  {
    async deliver(batch) {
      if (orders.broken) await confirmEarly(batch);
      kill.reach('deliver.before');
      return feed.deliver(batch);
    },
    async checkpoint() {
      const lsn = await feed.checkpoint();
      kill.reach('confirm.before');
      return lsn;
    },
  },
  {
    signal: stop.signal,
    checkpointEvery: 3,
    onBatch(batch, written) {
      if (written) kill.counts.written++;
      else kill.counts.skipped++;
      kill.reach('deliver.after');
      // The marker was committed after every writer's last transaction: stop; the pump confirms what it delivered.
      if (orders.final && readChanges(batch.mutations).some((row) => row.new?.['id'] === orders.marker)) stop.abort();
      batchSeen?.();
    },
    onConfirm() {
      kill.counts.confirms++;
      kill.reach('confirm.after');
    },
  },
);

/** Resolves after `count` more batches were delivered. */
function batches(count: number): Promise<void> {
  let left = count;
  return new Promise((resolve) => {
    batchSeen = () => {
      if (--left <= 0) resolve();
    };
  });
}

/**
 * Reloads between the two versions while the pump runs, letting 20 batches or 100 ms through between
 * reloads (a reload of the PostgreSQL output takes ~100 ms here: the new writer connects, takes the
 * lock and claims the sink; back to back they would leave the pump little time). The final engine,
 * there to drain what the writers left, reloads every 500 ms.
 */
async function reloadLoop(): Promise<void> {
  for (let i = 1; !stop.signal.aborted; i++) {
    const result = await host.reload(versions[i % 2]!, { allowDowngrade: true });
    await result.retired;
    kill.counts.reloads++;
    await (orders.final ? delay(500) : Promise.race([batches(20), delay(250)]));
  }
}
const reloading = reloadLoop();

try {
  await Promise.all([pumping, reloading]);
} catch (error) {
  stop.abort();
  say({ event: 'failed', message: error instanceof Error ? error.message : String(error), ...kill.counts });
  process.exit(1);
}
await source.close();
await feed.close();
await host.close();
const check = new pg.Client({ connectionString: sourceUrl });
await check.connect();
const [row] = (
  await check.query<{ lsn: string }>(
    'SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1',
    [slot],
  )
).rows;
await check.end();
say({ event: 'drained', slotLsn: row ? parseLsn(row.lsn) : null, finalLsn: feed.finalLsn, ...kill.counts });
process.exit(0);
