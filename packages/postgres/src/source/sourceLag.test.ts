import { createPluginHost, definePlugin, isReloadError } from '@baton/core';
import type { CdcBatch, CdcSourceLag, PluginDefinition } from '@baton/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connect, sql, testServer } from '../__tests__/testServer.js';
import type { PostgresServer } from '../server/postgresServer.js';
import { parseLsn } from '../lsn/lsn.js';
import { postgresChangeSource } from './postgresChangeSource.js';

/**
 * A server of this file's own: the WAL head is the whole server's, so on the shared test server the
 * other files' writes would move it. Here nothing but these tests writes (the CDC output keeps its
 * batches in memory), and "caught up" can be checked as what it is.
 */
let server: PostgresServer;

beforeAll(async () => {
  server = await testServer();
  await sql(
    server.url,
    `CREATE TABLE orders (id int8 PRIMARY KEY, item text);
     CREATE PUBLICATION orders_pub FOR TABLE orders`,
  );
});

afterAll(async () => {
  await server.stop();
});

/** A plugin whose CDC output `memory` keeps what it is given (its checkpoint: the last end). */
function memoryPlugin(kept: CdcBatch[]): PluginDefinition {
  return definePlugin({
    name: 'engine',
    version: '1.0.0',
    register(r) {
      r.cdcOutput({
        name: 'memory',
        start: ({ fromLsn }) => {
          let through = fromLsn ?? 0n;
          return {
            deliver: (batch) => {
              if (batch.lsnEnd <= through) return;
              kept.push(batch);
              through = batch.lsnEnd;
            },
            checkpoint: () => through,
            shutdown: () => undefined,
          };
        },
      });
    },
  });
}

let nextId = 1;
async function writeTransactions(count: number): Promise<bigint> {
  await using client = await connect(server.url);
  for (let i = 0; i < count; i++) {
    await client.query('BEGIN');
    await client.query('INSERT INTO orders VALUES ($1, $2)', [nextId++, `item ${i}`]);
    await client.query('COMMIT');
  }
  const { rows } = await client.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
  return parseLsn(rows[0]!.lsn);
}

describe('PostgresChangeSource as the CdcSource of a managed stream', () => {
  it('the slot and the delivered position trail the WAL head while transactions wait, and are caught up once the stream confirmed them', async () => {
    await using source = await postgresChangeSource({ url: server.url, slot: 'lag_main', publication: 'orders_pub' });
    const kept: CdcBatch[] = [];
    await using host = createPluginHost({ logger: false });
    await host.load(memoryPlugin(kept));
    const feed = await host.startCdc({ name: 'orders', key: 'memory' }); // a new sink: at 0
    feed.trackSource(source, { intervalMs: 3_600_000 }); // read on demand here
    const start = source.startLsn;
    const idle = (await feed.readSourceLag())!;
    expect(idle.confirmed!.lsn).toBe(idle.headLsn - start);

    const written = await writeTransactions(3);
    const waiting = (await feed.readSourceLag())!;
    expect(waiting.headLsn).toBeGreaterThanOrEqual(written);
    // Nothing consumed: the slot is where it was, and the new sink counts from the slot's position.
    expect(waiting.confirmed!.lsn).toBe(waiting.headLsn - start);
    expect(waiting.confirmed!.lsn).toBeGreaterThanOrEqual(written - start);
    expect(waiting.confirmed!.lsn).toBeGreaterThan(0n);
    expect(waiting.delivered).toEqual(waiting.confirmed);
    // `at` is the server's clock, the clock of commit timestamps.
    expect(waiting.at).toBeGreaterThanOrEqual(idle.at);

    for (let i = 0; i < 3; i++) {
      const batch = await source.next({ signal: AbortSignal.timeout(20_000) });
      await feed.deliver(batch!);
    }
    const lastEnd = kept.at(-1)!.lsnEnd;
    expect(kept).toHaveLength(3);
    expect(lastEnd).toBeLessThanOrEqual(written);
    const delivered = (await feed.readSourceLag())!;
    // Delivered, not confirmed: the stream is caught up, the slot still holds all three.
    expect(delivered.delivered).toEqual(behind(delivered, lastEnd));
    expect(delivered.confirmed!.lsn).toBe(delivered.headLsn - start);
    // Its age: since the first transaction committed (pgoutput's commit timestamp, the server's
    // clock like `at`), unless a reading saw the head past the slot even earlier.
    const firstSeen = idle.headLsn > start ? Math.min(idle.at, kept[0]!.commitTimestamp) : kept[0]!.commitTimestamp;
    expect(delivered.confirmed!.ms).toBe(delivered.at - firstSeen);
    expect(delivered.confirmed!.ms).toBeGreaterThan(0);

    source.confirm(await feed.checkpoint());
    // The server takes the confirmation from the replication stream's next status message.
    let confirmed: CdcSourceLag | undefined;
    await vi.waitFor(
      async () => {
        confirmed = await feed.readSourceLag();
        expect(confirmed!.headLsn - confirmed!.confirmed!.lsn).toBe(lastEnd);
      },
      { timeout: 10_000, interval: 20 },
    );
    // What still trails is only WAL written after the last transaction (background records of the
    // server at most: nothing else writes here): a few bytes, ≈ 0.
    expect(confirmed!.confirmed).toEqual(behind(confirmed!, lastEnd));
    expect(confirmed!.delivered).toEqual(confirmed!.confirmed);
    expect(confirmed!.confirmed!.lsn).toBeLessThan(1_024n);
    expect(confirmed!.confirmed!.lsn).toBeLessThan(waiting.confirmed!.lsn);
  });

  it('a reading that fails is a typed error; the stream goes on delivering', async () => {
    const source = await postgresChangeSource({ url: server.url, slot: 'lag_closed', publication: 'orders_pub' });
    const kept: CdcBatch[] = [];
    await using host = createPluginHost({ logger: false });
    await host.load(memoryPlugin(kept));
    const feed = await host.startCdc({ name: 'orders', key: 'memory' });
    feed.trackSource(source, { intervalMs: 3_600_000 });
    await feed.readSourceLag();
    await writeTransactions(1);
    const batch = await source.next({ signal: AbortSignal.timeout(20_000) });
    await source.close();
    const error = await feed.readSourceLag().catch((e: unknown) => e);
    expect(isReloadError(error) && [error.code, error.step]).toEqual(['RESOURCE_CLOSED', 'sourcePosition']);
    expect(feed.sourceLag).toBeUndefined();
    expect(feed.sourceLagError).toBe(error);
    expect(await feed.deliver(batch!)).toBe(true);
    expect(kept).toHaveLength(1);
  });

  it('an aborted reading gives up at once and drops the control connection; the next reading opens a new one', async () => {
    await using source = await postgresChangeSource({ url: server.url, slot: 'lag_abort', publication: 'orders_pub' });
    const controls = async () =>
      (
        await sql<{ pid: number }>(
          server.url,
          `SELECT pid FROM pg_stat_activity WHERE application_name = 'baton source lag_abort control'`,
        )
      ).map((row) => row.pid);
    const [before] = await controls();
    expect(before).toBeDefined();
    const error = await source.sourcePosition({ signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(isReloadError(error) && error.code).toBe('ABORTED');

    const controller = new AbortController();
    const asked = source.sourcePosition({ signal: controller.signal }).catch((e: unknown) => e);
    controller.abort(); // before the server can have answered
    const aborted = await asked;
    expect(isReloadError(aborted) && [aborted.code, aborted.step]).toEqual(['ABORTED', 'sourcePosition']);

    const position = await source.sourcePosition();
    expect(position.headLsn).toBeGreaterThanOrEqual(position.confirmedLsn!);
    await vi.waitFor(
      async () => {
        expect(await controls()).toHaveLength(1);
      },
      { timeout: 10_000, interval: 20 },
    );
    expect(await controls()).not.toContain(before);
  });
});

/**
 * How far `position` trails the reading's head: its LSNs exactly, and an age that is 0 when it is
 * caught up (when the head is past it, the age is core's to compute: its tests check it).
 */
function behind(reading: CdcSourceLag, position: bigint) {
  return { lsn: reading.headLsn - position, ms: reading.headLsn > position ? expect.any(Number) : 0 };
}
