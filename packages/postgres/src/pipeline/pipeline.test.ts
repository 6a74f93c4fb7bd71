import { createPluginHost } from '@baton/core';
import type { CdcBatch } from '@baton/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { connect, sql, testDatabase, uniqueName } from '../__tests__/testServer.js';
import { parseLsn } from '../lsn/lsn.js';
import { sinkPlugin } from '../__tests__/sinkPlugin.js';
import { readPostgresSink } from '../sink/readPostgresSink.js';
import { readChanges } from '../source/cdcLayout.js';
import { postgresChangeSource } from '../source/postgresChangeSource.js';
import { pumpChanges } from './pumpChanges.js';

let sourceUrl: string;
let sinkUrl: string;
const slot = uniqueName('e2e');

beforeAll(async () => {
  sourceUrl = await testDatabase('source');
  await sql(
    sourceUrl,
    `CREATE TABLE orders (id int8 PRIMARY KEY, note text);
     CREATE PUBLICATION orders_pub FOR TABLE orders`,
  );
  sinkUrl = await testDatabase('sink');
});

/** A deterministic pseudo-random sequence (the writers' choices). */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/**
 * One writer: `count` transactions of 1–3 statements on rows of its own (insert a new row, update or
 * delete one it inserted). Returns each committed transaction's changes as signatures, in order.
 */
async function writer(w: number, count: number): Promise<string[][]> {
  await using client = await connect(sourceUrl);
  const next = random(w + 1);
  const live: number[] = [];
  let nextId = w * 1_000_000;
  const transactions: string[][] = [];
  for (let t = 0; t < count; t++) {
    const changes: string[] = [];
    await client.query('BEGIN');
    const statements = 1 + Math.floor(next() * 3);
    for (let s = 0; s < statements; s++) {
      const note = `w${w}t${t}s${s}`;
      const choice = next();
      if (live.length === 0 || choice < 0.5) {
        const id = nextId++;
        await client.query('INSERT INTO orders (id, note) VALUES ($1, $2)', [id, note]);
        live.push(id);
        changes.push(`insert ${id} ${note}`);
      } else if (choice < 0.8) {
        const id = live[Math.floor(next() * live.length)]!;
        await client.query('UPDATE orders SET note = $2 WHERE id = $1', [id, note]);
        changes.push(`update ${id} ${note}`);
      } else {
        const id = live.splice(Math.floor(next() * live.length), 1)[0]!;
        await client.query('DELETE FROM orders WHERE id = $1', [id]);
        changes.push(`delete ${id}`);
      }
    }
    await client.query('COMMIT');
    transactions.push(changes);
  }
  return transactions;
}

/** A stored row (the change source's layout as jsonb) as a signature. */
function signature(row: unknown): string {
  const { op, key, new: next } = row as { op: string; key: { id: string }; new: { id: string; note: string } | null };
  return op === 'delete' ? `delete ${key.id}` : `${op} ${next!.id} ${next!.note}`;
}

/** Latches on the batches the pump reports: a count reached, or a batch seen (no polling). */
function latch() {
  let count = 0;
  const waiting: { predicate: (batch: CdcBatch | undefined, count: number) => boolean; resolve: () => void }[] = [];
  const until = (predicate: (batch: CdcBatch | undefined, count: number) => boolean): Promise<void> =>
    predicate(undefined, count) ? Promise.resolve() : new Promise((resolve) => waiting.push({ predicate, resolve }));
  return {
    seen(batch: CdcBatch): void {
      count++;
      for (const w of [...waiting]) {
        if (w.predicate(batch, count)) {
          waiting.splice(waiting.indexOf(w), 1);
          w.resolve();
        }
      }
    },
    count: (n: number) => until((_, seen) => seen >= n),
    batch: (predicate: (batch: CdcBatch) => boolean) => until((batch) => batch !== undefined && predicate(batch)),
  };
}

describe('PostgreSQL → slot → Baton-managed CDC stream → PostgreSQL sink', () => {
  it('holds every change exactly once across a plugin reload and a source restart, the slot never ahead of the sink', async () => {
    const plugin = (version: string) => sinkPlugin(sinkUrl, version);
    const host = createPluginHost();
    await host.load(plugin('1.0.0'));
    const feed = await host.startCdc({ name: 'orders', key: 'pg-sink' });

    // "Never ahead": at every confirmation, the slot's confirmed position (read first) is at most the
    // sink's checkpoint (read after; it only grows, so a violation cannot hide).
    await using slotClient = await connect(sourceUrl);
    await using sinkClient = await connect(sinkUrl);
    const ahead: string[] = [];
    let samples = 0;
    const check = async (): Promise<void> => {
      const slotLsn = (
        await slotClient.query<{ lsn: string }>(
          `SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1`,
          [slot],
        )
      ).rows[0]!.lsn;
      const sink = (
        await sinkClient.query<{ lsn: string }>(
          `SELECT lsn::text AS lsn FROM baton_cdc_offsets WHERE output = 'pg-sink'`,
        )
      ).rows[0]!.lsn;
      samples++;
      if (parseLsn(slotLsn) > parseLsn(sink)) ahead.push(`slot ${slotLsn} > sink ${sink}`);
    };

    const open = () => postgresChangeSource({ url: sourceUrl, slot, publication: 'orders_pub' });
    const seen = latch();
    const pump = (source: Awaited<ReturnType<typeof open>>, signal?: AbortSignal) =>
      pumpChanges(source, feed, {
        checkpointEvery: 3,
        onBatch: (batch) => {
          seen.seen(batch);
        },
        onConfirm: check,
        ...(signal ? { signal } : {}),
      });

    let source = await open();
    const writing = Promise.all([0, 1, 2].map((w) => writer(w, 40)));
    const first = pump(source);

    await seen.count(15);
    const reload = await host.reload(plugin('2.0.0')); // while the writers write and the pump delivers
    expect(reload.handoffs.map((h) => h.name)).toEqual(['orders']);
    expect(reload.handoffs[0]!.detail).toMatchObject({ byReference: true }); // the writer moved in memory

    await seen.count(40);
    await source.close(); // the engine's reader stops; up to two batches were delivered but not confirmed
    const firstReport = await first;
    source = await open(); // resumes at the slot's confirmed position: those come again and are skipped
    const stop = new AbortController();
    const second = pump(source, stop.signal);

    const transactions = (await writing).flat();
    const marked = seen.batch((batch) => readChanges(batch.mutations).some((row) => row.new?.['note'] === 'marker'));
    await sql(sourceUrl, `INSERT INTO orders (id, note) VALUES (-1, 'marker')`);
    await marked;
    stop.abort();
    const secondReport = await second;
    await source.close();
    await feed.close();
    await host.close();

    const contents = await readPostgresSink({ name: 'check', url: sinkUrl, output: 'pg-sink' });
    const batches = contents.batches.filter(
      (b) => !(b.rows as { new?: { note?: string } }[]).some((r) => r.new?.note === 'marker'),
    );
    const written = transactions.flat();
    const stored = batches.flatMap((b) => b.rows.map(signature));
    const lost = written.filter((change) => !stored.includes(change));
    const duplicated = stored.filter((change, i) => stored.indexOf(change) !== i);
    expect({ changes: stored.length, lost, duplicated }).toEqual({ changes: written.length, lost: [], duplicated: [] });
    // Each sink batch is one whole source transaction.
    const byTransaction = new Set(transactions.map((changes) => changes.join('|')));
    expect(batches.filter((b) => !byTransaction.has(b.rows.map(signature).join('|')))).toEqual([]);
    expect(batches).toHaveLength(transactions.length);
    // v2 went on with v1's writer (same session, lock and generation); the slot ends exactly at the sink's checkpoint.
    expect(new Set(batches.map((b) => b.generation))).toEqual(new Set([1n]));
    expect(ahead).toEqual([]);
    expect(samples).toBeGreaterThan(10);
    const [final] = await sql<{ lsn: string }>(
      sourceUrl,
      `SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1`,
      [slot],
    );
    expect(parseLsn(final!.lsn)).toBe(contents.checkpoint);
    expect(firstReport.written + secondReport.written).toBe(transactions.length + 1);
  });

  it('refuses a checkpointEvery that is not a whole number ≥ 1 with INVALID_ARGUMENT', async () => {
    const target = { deliver: () => true, checkpoint: () => 0n };
    for (const checkpointEvery of [0, 1.5, Number.NaN])
      await expect(pumpChanges({} as never, target, { checkpointEvery })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
  });
});
