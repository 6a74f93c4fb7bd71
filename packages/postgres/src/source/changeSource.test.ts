import { randomBytes } from 'node:crypto';
import { isReloadError } from '@baton/core';
import type { CdcBatch } from '@baton/core';
import { fc, test } from '@fast-check/vitest';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { connect, sql, testDatabase, uniqueName } from '../__tests__/testServer.js';
import { parseLsn } from '../lsn/lsn.js';
import { readChanges } from './cdcLayout.js';
import { postgresChangeSource } from './postgresChangeSource.js';
import type { PostgresChangeSource } from './postgresChangeSource.js';
import type { PostgresChangeSourceOptions } from './sourceOptions.js';

let url: string;
/** Slot names are global on the shared server: this file's are `<tag>_<name>`. */
const tag = uniqueName('source');

beforeAll(async () => {
  url = await testDatabase('source');
  await sql(
    url,
    `CREATE TABLE items (id int8 PRIMARY KEY, note text, big text);
     CREATE PUBLICATION items_pub FOR TABLE items`,
  );
});

const open = (slot: string, more: Partial<PostgresChangeSourceOptions> = {}): Promise<PostgresChangeSource> =>
  postgresChangeSource({ url, slot: `${tag}_${slot}`, publication: 'items_pub', ...more });

const next = async (source: PostgresChangeSource): Promise<CdcBatch> => {
  const batch = await source.next({ signal: AbortSignal.timeout(20_000) });
  if (!batch) throw new Error('the source closed');
  return batch;
};

/** What identifies a batch's content: its LSN range and its rows. */
const shape = (batch: CdcBatch) => ({
  range: `${batch.lsnStart}-${batch.lsnEnd}`,
  rows: readChanges(batch.mutations),
});

const codeOf = (promise: Promise<unknown>): Promise<string> =>
  promise.then(
    () => 'resolved',
    (error: unknown) => (isReloadError(error) ? error.code : String(error)),
  );

let nextId = 1;

/** Commits `count` transactions of 1–3 inserts each. */
async function writeTransactions(sizes: readonly number[]): Promise<void> {
  await using client = await connect(url);
  for (const size of sizes) {
    await client.query('BEGIN');
    for (let i = 0; i < size; i++)
      await client.query('INSERT INTO items (id, note) VALUES ($1, $2)', [nextId++, `n${i}`]);
    await client.query('COMMIT');
  }
}

async function confirmedFlushOf(slot: string): Promise<bigint> {
  const [row] = await sql<{ lsn: string }>(
    url,
    'SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1',
    [`${tag}_${slot}`],
  );
  return parseLsn(row!.lsn);
}

describe('postgresChangeSource: resuming from the confirmed position', () => {
  test.prop(
    [
      fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 6 }).chain((sizes) =>
        fc.record({
          sizes: fc.constant(sizes),
          confirmed: fc.integer({ min: 0, max: sizes.length }),
          extra: fc.integer({ min: 0, max: sizes.length }),
        }),
      ),
    ],
    { numRuns: 12 },
  )(
    'a new reader starts with the first unconfirmed transaction, whole: nothing skipped, nothing confirmed repeated',
    async ({ sizes, confirmed, extra }) => {
      const slot = 'resume'; // each run starts where the previous one confirmed everything
      await open(slot).then((s) => s.close()); // created by the first run
      await writeTransactions(sizes);
      const read = Math.max(confirmed, extra); // read beyond the confirmed cut: read but not confirmed
      const first: CdcBatch[] = [];
      {
        await using reader = await open(slot);
        const lag = await reader.slotLag();
        expect(lag.confirmedFlushLsn).toBe(reader.startLsn);
        for (let i = 0; i < read; i++) first.push(await next(reader));
        expect(first.map((b) => readChanges(b.mutations).length)).toEqual(sizes.slice(0, read));
        if (read > 0) expect((await reader.slotLag()).lagBytes).toBeGreaterThan(0n);
        if (confirmed > 0) reader.confirm(first[confirmed - 1]!.lsnEnd);
      }
      const cut = confirmed > 0 ? first[confirmed - 1]!.lsnEnd : undefined;
      if (cut !== undefined) expect(await confirmedFlushOf(slot)).toBe(cut);

      await using again = await open(slot);
      if (cut !== undefined) expect(again.startLsn).toBe(cut);
      const second: CdcBatch[] = [];
      for (let i = confirmed; i < sizes.length; i++) second.push(await next(again));
      // The transactions read but not confirmed come again, identical; then the rest.
      expect(second.slice(0, read - confirmed).map(shape)).toEqual(first.slice(confirmed).map(shape));
      expect(second.map((b) => readChanges(b.mutations).length)).toEqual(sizes.slice(confirmed));
      // Nothing more: the next transaction written is the next one read.
      await writeTransactions([1]);
      const after = await next(again);
      expect(readChanges(after.mutations)[0]!.new!['id']).toBe(String(nextId - 1));
      again.confirm(after.lsnEnd);
    },
  );
});

describe('postgresChangeSource', () => {
  it('decodes a transaction only after the previous one was handed over and asked past (backpressure)', async () => {
    await using source = await open('backpressure');
    await writeTransactions(Array.from({ length: 30 }, () => 1));
    await using client = await connect(url);
    let previous = source.startLsn;
    for (let i = 0; i < 30; i++) {
      const before = source.receivedLsn;
      const batch = await next(source);
      // What was decoded before this call is at most this batch: nothing ran ahead of the consumer.
      expect(before).toBeLessThanOrEqual(batch.lsnEnd);
      expect(batch.lsnStart).toBeGreaterThanOrEqual(previous);
      previous = batch.lsnEnd;
      await client.query('SELECT pg_sleep(0.002)'); // a consumer slower than the stream
    }
    expect(source.readLsn).toBe(previous);
    expect(source.confirmedLsn).toBe(source.startLsn); // nothing confirmed: the slot has not moved
    expect((await source.slotLag()).confirmedFlushLsn).toBe(source.startLsn);
  });

  it('orders interleaved transactions by commit, each whole, with ranges that do not overlap', async () => {
    await using source = await open('interleaved');
    await using a = await connect(url);
    await using b = await connect(url);
    await a.query('BEGIN');
    await a.query(`INSERT INTO items (id, note) VALUES (1000001, 'a1')`);
    await b.query('BEGIN');
    await b.query(`INSERT INTO items (id, note) VALUES (1000002, 'b1')`);
    await a.query(`INSERT INTO items (id, note) VALUES (1000003, 'a2')`);
    await b.query('COMMIT');
    await a.query('COMMIT');
    const first = await next(source);
    const second = await next(source);
    expect(readChanges(first.mutations).map((r) => r.new!['note'])).toEqual(['b1']);
    expect(readChanges(second.mutations).map((r) => r.new!['note'])).toEqual(['a1', 'a2']);
    expect(second.lsnStart).toBeGreaterThanOrEqual(first.lsnEnd);
  });

  it('leaves an unchanged TOASTed value out of an update’s new row', async () => {
    await using source = await open('toast');
    const big = randomBytes(40_000).toString('base64'); // incompressible: stored out of line
    await sql(url, `INSERT INTO items (id, note, big) VALUES (2000001, 'x', $1)`, [big]);
    await sql(url, `UPDATE items SET note = 'y' WHERE id = 2000001`);
    const [inserted] = readChanges((await next(source)).mutations);
    const [updated] = readChanges((await next(source)).mutations);
    expect(inserted!.new!['big']).toBe(big);
    expect(updated).toEqual({
      op: 'update',
      table: 'public.items',
      key: { id: '2000001' },
      new: { id: '2000001', note: 'y' },
      old: null,
    });
  });

  it('refuses a slot another reader holds with LOCKED, and takes it once that reader closes', async () => {
    const holder = await open('held');
    expect(await codeOf(open('held', { acquireTimeoutMs: 300 }))).toBe('LOCKED');
    await holder.close();
    await using taker = await open('held', { acquireTimeoutMs: 5_000 });
    expect(taker.slot).toBe(`${tag}_held`);
  });

  it('fails next() with IO_FAILED when the server ends the replication connection and reconnect is false', async () => {
    await using source = await open('terminated', { reconnect: false });
    const { activePid } = await source.slotLag();
    await sql(url, 'SELECT pg_terminate_backend($1)', [activePid]);
    const error = await source.next({ signal: AbortSignal.timeout(20_000) }).catch((e: unknown) => e);
    expect(isReloadError(error) && error.code).toBe('IO_FAILED');
    expect(await codeOf(source.next())).toBe('IO_FAILED'); // and every later call
  });

  it('reconnects after its walsender is terminated: nothing handed over twice, nothing skipped', async () => {
    await using source = await open('reconnect');
    await writeTransactions([1, 2, 1]);
    const first = [await next(source), await next(source)]; // handed over, not confirmed
    const { activePid } = await source.slotLag();
    await sql(url, 'SELECT pg_terminate_backend($1)', [activePid]);
    await writeTransactions([2, 1]);
    const rest = [await next(source), await next(source), await next(source)];
    const ids = [...first, ...rest].map((b) => readChanges(b.mutations).map((r) => Number(r.new!['id'])));
    // Five transactions of 1, 2, 1, 2, 1 consecutive ids: each exactly once, in order.
    const flat = ids.flat();
    expect(ids.map((t) => t.length)).toEqual([1, 2, 1, 2, 1]);
    expect(flat).toEqual(flat.map((_, i) => flat[0]! + i));
    expect(source.reconnects).toBe(1);
    // The server sent again from the confirmed position: what was handed over (2 or 3) was dropped.
    expect(source.resentDropped).toBeGreaterThanOrEqual(2);
    expect((await source.slotLag()).activePid).not.toBe(activePid);
  });

  it('fails with IO_FAILED once it could not reconnect within reconnect.timeoutMs', async () => {
    await using source = await open('unreachable', { reconnect: { timeoutMs: 400, maxDelayMs: 100 } });
    const database = new URL(url).pathname.slice(1);
    const admin = inject('postgresUrl');
    await sql(admin, `ALTER DATABASE "${database}" ALLOW_CONNECTIONS false`); // every reconnection fails
    try {
      const { activePid } = await source.slotLag();
      await sql(admin, 'SELECT pg_terminate_backend($1)', [activePid]);
      const error = await source.next({ signal: AbortSignal.timeout(20_000) }).catch((e: unknown) => e);
      expect(isReloadError(error) && error.code).toBe('IO_FAILED');
      expect((error as Error).message).toMatch(/could not be opened again .* within 400 ms/);
      expect(source.reconnects).toBe(0);
    } finally {
      await sql(admin, `ALTER DATABASE "${database}" ALLOW_CONNECTIONS true`);
    }
  });

  it('fails with the permanent error, not IO_FAILED, when its slot was dropped during the outage', async () => {
    await using source = await open('dropped', { reconnect: { timeoutMs: 30_000, maxDelayMs: 100 } });
    const database = new URL(url).pathname.slice(1);
    const admin = inject('postgresUrl');
    const slot = `${tag}_dropped`;
    await sql(admin, `ALTER DATABASE "${database}" ALLOW_CONNECTIONS false`); // reconnections fail meanwhile
    try {
      const { activePid } = await source.slotLag();
      await sql(admin, 'SELECT pg_terminate_backend($1)', [activePid]);
      // The walsender ends on its own time; there is no event to wait on. Bounded.
      for (let i = 0; ; i++) {
        const [row] = await sql<{ active: boolean }>(
          admin,
          'SELECT active FROM pg_replication_slots WHERE slot_name = $1',
          [slot],
        );
        if (!row!.active) break;
        if (i > 400) throw new Error('the slot stayed active');
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      await sql(admin, 'SELECT pg_drop_replication_slot($1)', [slot]);
    } finally {
      await sql(admin, `ALTER DATABASE "${database}" ALLOW_CONNECTIONS true`);
    }
    const error = await source.next({ signal: AbortSignal.timeout(20_000) }).catch((e: unknown) => e);
    expect(isReloadError(error) && error.code).toBe('INVALID_ARGUMENT');
    expect((error as Error).message).toMatch(/replication connection was lost/);
    expect(source.reconnects).toBe(0);
  });

  it('answers slotLag() after close() with RESOURCE_CLOSED', async () => {
    const source = await open('closed_lag');
    expect((await source.slotLag()).active).toBe(true);
    await source.close();
    const error = await source.slotLag().catch((e: unknown) => e);
    expect(isReloadError(error) && error.code).toBe('RESOURCE_CLOSED');
  });

  it('refuses bad options and arguments with INVALID_ARGUMENT', async () => {
    expect(await codeOf(open('Bad-Name'))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(open('fine', { publication: 'no_such_pub' }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(open('fine', { acquireTimeoutMs: 0 }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(open('fine', { tabels: ['items'] } as never))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(open('fine', { reconnect: true } as never))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(open('fine', { reconnect: { timeoutMs: 0 } }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(open('fine', { reconnect: { initialDelayMs: 500, maxDelayMs: 100 } }))).toBe(
      'INVALID_ARGUMENT',
    );
    await using source = await open('fine');
    expect(() => {
      source.confirm(-1n);
    }).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    const waiting = source.next();
    expect(await codeOf(source.next())).toBe('INVALID_ARGUMENT'); // one next() at a time
    await source.close();
    expect(await waiting).toBeUndefined();
  });
});
