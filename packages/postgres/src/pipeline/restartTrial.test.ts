/**
 * Issue 13's trial: PostgreSQL itself stopped hard (`pg_ctl stop -m immediate`) and restarted
 * mid-stream, twice, while writers commit and the pipeline slot → pumpChanges → Baton-managed
 * stream → postgresCdcOutput runs. The source reconnects, the pump retries the sink (in the same
 * server, so unreachable too), writers retry; at the end every committed change is in the sink
 * exactly once and the slot was never confirmed past the sink's checkpoint.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { createPluginHost } from '@baton/core';
import type { CdcBatch } from '@baton/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, sql, testServer } from '../__tests__/testServer.js';
import { parseLsn } from '../lsn/lsn.js';
import type { PostgresServer } from '../server/postgresServer.js';
import { sinkPlugin } from '../__tests__/sinkPlugin.js';
import { readPostgresSink } from '../sink/readPostgresSink.js';
import { postgresChangeSource } from '../source/postgresChangeSource.js';
import { pumpChanges } from './pumpChanges.js';
import type { PumpTarget } from './pumpChanges.js';

const WRITERS = 3;
const TRANSACTIONS = 24; // per writer
const AHEAD = 10; // a writer waits while it is this many transactions ahead of the pipeline
const CRASH_AT_DELIVERY = 12; // the first restart: during this delivery
const CRASH_AT_CHECKPOINT = 14; // the second: during this checkpoint
const DOWN_CALLS = 3; // the server stays down while the pump makes the call this many times

let server: PostgresServer;
let sinkUrl: string;

beforeAll(async () => {
  server = await testServer(); // its own: it is restarted
  await sql(
    server.url,
    `CREATE TABLE accounts (id int8 PRIMARY KEY, owner int NOT NULL, balance int8 NOT NULL);
     CREATE TABLE orders (id int8 PRIMARY KEY, account int8 NOT NULL, note text NOT NULL);
     CREATE TABLE txlog (tx text PRIMARY KEY, writer int NOT NULL);
     CREATE PUBLICATION trial_pub FOR TABLE accounts, orders, txlog`,
  );
  sinkUrl = await server.createDatabase('sink');
});

afterAll(async () => {
  await server.stop();
});

/** Retries `task` (fresh connections) while the server is down or recovering; bounded. */
async function retrying<T>(task: () => Promise<T>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (let wait = 20; ; wait = Math.min(wait * 2, 250)) {
    try {
      return await task();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await delay(wait);
    }
  }
}

/** Counts the pipeline's deliveries and lets waiters wait for a count (no polling). */
function progress() {
  let delivered = 0;
  const waiting = new Set<{ n: number; resolve: () => void }>();
  return {
    get delivered() {
      return delivered;
    },
    seen(): void {
      delivered++;
      for (const w of waiting)
        if (delivered >= w.n) {
          waiting.delete(w);
          w.resolve();
        }
    },
    reach(n: number): Promise<void> {
      return delivered >= n ? Promise.resolve() : new Promise((resolve) => waiting.add({ n, resolve }));
    },
  };
}

type Change = string;
const canonical = (row: Record<string, unknown>): string =>
  JSON.stringify(Object.fromEntries(Object.entries(row).sort(([a], [b]) => a.localeCompare(b))));
const change = (op: string, table: string, id: string, row?: Record<string, string>): Change =>
  row ? `${op} ${table} ${id} ${canonical(row)}` : `${op} ${table} ${id}`;

/** A stored sink row (the change source's layout as jsonb) as a change. */
function stored(row: unknown): Change {
  const r = row as { op: string; table: string; key: Record<string, string>; new: Record<string, string> | null };
  const id = r.key['id'] ?? r.key['tx']!;
  return r.new ? change(r.op, r.table, id, r.new) : change(r.op, r.table, id);
}

/** A deterministic pseudo-random sequence (the writers' choices). */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/**
 * One writer: transactions of a txlog row (its unique id) and 1–4 statements over accounts and
 * orders (inserts, updates, deletes of its own rows). A failure (the server went away) is retried
 * on a new connection: first asking whether the transaction committed after all (its txlog row),
 * then running it again. Returns the committed transactions' changes by id.
 */
async function writer(w: number, seen: ReturnType<typeof progress>, committedTotal: { n: number }) {
  const next = random(w + 11);
  const accounts = new Map<string, number>(); // id → balance
  const orders = new Set<string>();
  let nextId = (w + 1) * 1_000_000;
  const committed = new Map<string, Change[]>();
  let client: Awaited<ReturnType<typeof connect>> | undefined;
  for (let t = 0; t < TRANSACTIONS; t++) {
    await seen.reach(committedTotal.n - AHEAD);
    const tx = `w${w}t${t}`;
    const plan: { text: string; values: unknown[]; change: Change; apply: () => void }[] = [];
    const pending = new Map(accounts);
    const pendingOrders = new Set(orders);
    for (let s = 0, n = 1 + Math.floor(next() * 4); s < n; s++) {
      const choice = next();
      const accountIds = [...pending.keys()];
      const orderIds = [...pendingOrders];
      if (accountIds.length === 0 || choice < 0.3) {
        const id = String(nextId++);
        const balance = Math.floor(next() * 1000);
        pending.set(id, balance);
        plan.push({
          text: 'INSERT INTO accounts (id, owner, balance) VALUES ($1, $2, $3)',
          values: [id, w, balance],
          change: change('insert', 'public.accounts', id, { id, owner: String(w), balance: String(balance) }),
          apply: () => accounts.set(id, balance),
        });
      } else if (choice < 0.5) {
        const id = accountIds[Math.floor(next() * accountIds.length)]!;
        const balance = Math.floor(next() * 1000);
        pending.set(id, balance);
        plan.push({
          text: 'UPDATE accounts SET balance = $2 WHERE id = $1',
          values: [id, balance],
          change: change('update', 'public.accounts', id, { id, owner: String(w), balance: String(balance) }),
          apply: () => accounts.set(id, balance),
        });
      } else if (choice < 0.8 || orderIds.length === 0) {
        const id = String(nextId++);
        const account = accountIds[Math.floor(next() * accountIds.length)]!;
        const note = `${tx}s${s}`;
        pendingOrders.add(id);
        plan.push({
          text: 'INSERT INTO orders (id, account, note) VALUES ($1, $2, $3)',
          values: [id, account, note],
          change: change('insert', 'public.orders', id, { id, account, note }),
          apply: () => orders.add(id),
        });
      } else {
        const id = orderIds[Math.floor(next() * orderIds.length)]!;
        pendingOrders.delete(id);
        plan.push({
          text: 'DELETE FROM orders WHERE id = $1',
          values: [id],
          change: change('delete', 'public.orders', id),
          apply: () => orders.delete(id),
        });
      }
    }
    const changes = [change('insert', 'public.txlog', tx, { tx, writer: String(w) }), ...plan.map((p) => p.change)];
    await retrying(async () => {
      try {
        client ??= await connect(server.url);
        const [done] = (await client.query('SELECT 1 FROM txlog WHERE tx = $1', [tx])).rows;
        if (done) return; // the COMMIT landed before the connection broke
        await client.query('BEGIN');
        await client.query('INSERT INTO txlog (tx, writer) VALUES ($1, $2)', [tx, w]);
        for (const p of plan) await client.query(p.text, p.values);
        await client.query('COMMIT');
      } catch (error) {
        const broken = client;
        client = undefined;
        await broken?.end().catch(() => undefined);
        throw error;
      }
    });
    for (const p of plan) p.apply();
    committed.set(tx, changes);
    committedTotal.n++;
  }
  await client?.end();
  return committed;
}

describe('PostgreSQL stopped hard and restarted mid-stream', () => {
  it('loses and repeats nothing: the source reconnects, the pump retries the sink, the slot never passes the sink', async () => {
    const host = createPluginHost();
    await host.load(sinkPlugin(sinkUrl, '1.0.0'));
    const feed = await host.startCdc({ name: 'trial', key: 'pg-sink' });

    // "Never ahead": the slot's confirmed position (read first) is at most the sink's checkpoint
    // (read after; it never goes back, so a violation cannot hide), sampled at every confirmation
    // and after each restart, on fresh connections (the server may just have restarted).
    const ahead: string[] = [];
    let samples = 0;
    const sample = (when: string) =>
      retrying(async () => {
        const [slot] = await sql<{ lsn: string }>(
          server.url,
          `SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = 'trial'`,
        );
        const [sink] = await sql<{ lsn: string }>(
          sinkUrl,
          `SELECT lsn::text AS lsn FROM baton_cdc_offsets WHERE output = 'pg-sink'`,
        );
        samples++;
        if (parseLsn(slot!.lsn) > parseLsn(sink!.lsn)) ahead.push(`${when}: slot ${slot!.lsn} > sink ${sink!.lsn}`);
      });

    // The restarts start inside the pipeline's own calls, at counts of them (the latch), and the
    // server stays down until the pump has made that call DOWN_CALLS times (each fails: the pump
    // retries it), then starts again while the call waits.
    const restarts: string[] = [];
    const failedWhileDown: string[] = [];
    let outage: { what: string; calls: number; release: () => void; restarting: Promise<void> } | undefined;
    const crash = async (what: string): Promise<void> => {
      let down!: () => void;
      const stopped = new Promise<void>((resolve) => (down = resolve));
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      const restarting = server.restart({
        mode: 'immediate',
        whileStopped: async () => {
          down();
          await released;
        },
      });
      await stopped;
      outage = { what, calls: 0, release, restarting };
    };
    const during = async <T>(call: () => Promise<T>): Promise<T> => {
      if (outage && ++outage.calls > DOWN_CALLS) {
        const { what, release, restarting } = outage;
        outage = undefined;
        release();
        await restarting;
        restarts.push(what);
        await sample(`after the restart during ${what}`);
      }
      if (!outage) return call();
      const { what } = outage;
      return call().catch((error: unknown) => {
        failedWhileDown.push(`${what}: ${(error as { code?: string }).code}`);
        throw error;
      });
    };
    let deliveries = 0;
    let checkpoints = 0;
    const target: PumpTarget = {
      async deliver(batch: CdcBatch) {
        if (++deliveries === CRASH_AT_DELIVERY) await crash(`delivery ${deliveries}`);
        return during(() => feed.deliver(batch));
      },
      async checkpoint() {
        if (++checkpoints === CRASH_AT_CHECKPOINT) await crash(`checkpoint ${checkpoints}`);
        return during(() => feed.checkpoint());
      },
    };

    const source = await postgresChangeSource({
      url: server.url,
      slot: 'trial',
      publication: 'trial_pub',
      reconnect: { timeoutMs: 30_000, initialDelayMs: 20, maxDelayMs: 250 },
    });
    const seen = progress();
    const committedTotal = { n: 0 };
    const stop = new AbortController();
    let retried = 0;
    const pumping = pumpChanges(source, target, {
      checkpointEvery: 3,
      signal: stop.signal,
      retry: { timeoutMs: 30_000, initialDelayMs: 20, maxDelayMs: 250 },
      onBatch: () => {
        seen.seen();
      },
      onConfirm: () => sample('a confirmation'),
      onRetry: () => {
        retried++;
      },
    });
    // Writers wait for the pipeline: if the pump fails, the trial fails at once instead of waiting.
    const written = await Promise.race([
      Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w, seen, committedTotal))),
      pumping.then(() => {
        throw new Error('the pump stopped before the writers were done');
      }),
    ]);

    // A last transaction marks the end; the pump stops once it went through.
    await sql(server.url, `INSERT INTO txlog (tx, writer) VALUES ('marker', -1)`);
    await seen.reach(committedTotal.n + 1);
    stop.abort();
    const report = await pumping;
    await source.close();
    await feed.close();
    await host.close();

    const contents = await readPostgresSink({ name: 'check', url: sinkUrl, output: 'pg-sink' });
    const expected = new Map(written.flatMap((m) => [...m]));
    const txOf = (rows: readonly unknown[]): string | undefined =>
      rows
        .map(stored)
        .find((c) => c.startsWith('insert public.txlog '))
        ?.split(' ')[2];
    const batches = contents.batches.filter((b) => txOf(b.rows) !== 'marker');
    const storedChanges = batches.flatMap((b) => b.rows.map(stored));
    const allExpected = [...expected.values()].flat();
    const lost = allExpected.filter((c) => !storedChanges.includes(c));
    const duplicated = storedChanges.filter((c, i) => storedChanges.indexOf(c) !== i);
    const unexpected = storedChanges.filter((c) => !allExpected.includes(c));
    expect({ lost, duplicated, unexpected }).toEqual({ lost: [], duplicated: [], unexpected: [] });
    expect(storedChanges).toHaveLength(allExpected.length);
    // Each sink batch is one committed transaction, whole.
    expect(batches.map((b) => b.rows.map(stored))).toEqual(batches.map((b) => expected.get(txOf(b.rows)!)));
    expect(batches).toHaveLength(WRITERS * TRANSACTIONS);

    expect(restarts).toEqual([`delivery ${CRASH_AT_DELIVERY}`, `checkpoint ${CRASH_AT_CHECKPOINT}`]);
    // Each call made while the server was down failed with IO_FAILED, and the pump made it again.
    expect(failedWhileDown).toEqual([
      ...Array.from({ length: DOWN_CALLS }, () => `delivery ${CRASH_AT_DELIVERY}: IO_FAILED`),
      ...Array.from({ length: DOWN_CALLS }, () => `checkpoint ${CRASH_AT_CHECKPOINT}: IO_FAILED`),
    ]);
    expect(report.retries).toBeGreaterThanOrEqual(2 * DOWN_CALLS);
    expect(ahead).toEqual([]);
    expect(samples).toBeGreaterThan(15);
    expect(source.reconnects).toBeGreaterThanOrEqual(2);
    expect(retried).toBe(report.retries);
    console.info(
      `restart trial: ${batches.length} transactions, ${allExpected.length} changes, lost 0, duplicated 0; ` +
        `${restarts.length} immediate restarts, ${source.reconnects} reconnects, ${source.resentDropped} resent ` +
        `transactions dropped by the source, ${report.skipped} skipped by the sink, ${report.retries} pump retries, ` +
        `${samples} slot/sink samples`,
    );
  }, 120_000);
});
