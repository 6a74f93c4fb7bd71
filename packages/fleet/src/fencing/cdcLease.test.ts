import { once } from 'node:events';
import type { ReloadError } from '@baton/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../__tests__/testDatabase.js';
import { acquireCdcLease } from './acquireCdcLease.js';
import type { CdcLeaseOptions } from './leaseOptions.js';
import { ensureLeaseSchema } from './leaseSchema.js';
import { advance, codeOf, leaseDatabase, leaseRow } from './__tests__/leaseFixtures.js';

let url: string;
let streams = 0;

beforeAll(async () => {
  url = await leaseDatabase('fleet_lease');
});

/** Lease options on a fresh stream, renewed by hand unless told otherwise. */
const on = (stream: string, owner: string, extra: Partial<CdcLeaseOptions> = {}): CdcLeaseOptions => ({
  url,
  stream,
  owner,
  ttlMs: 60_000,
  renewEveryMs: 0,
  ...extra,
});

describe('acquireCdcLease / CdcLease', () => {
  it('acquires a free lease, refuses a live one, takes an expired one with a larger token; the old owner learns it lost', async () => {
    const stream = `s${streams++}`;
    const a = await acquireCdcLease(on(stream, 'a'));
    expect([a.token, a.state, a.stream, a.owner]).toEqual([1n, 'held', stream, 'a']);
    const refused = await acquireCdcLease(on(stream, 'b')).catch((e: unknown) => e);
    expect(refused).toMatchObject({
      code: 'LOCKED',
      kind: 'cdcLease',
      key: stream,
      step: 'acquire',
      details: { owner: 'a', token: 1n },
    });
    expect((refused as Error).message).toMatch(
      /held by another live owner: the lease is token 1, held by 'a' for another \d+ ms/,
    );
    expect(await codeOf(acquireCdcLease(on(stream, 'a')))).toBe('LOCKED'); // its own live lease too

    // Expired by the database's clock, but nobody took it: the token says so, and the renewal holds.
    await advance(url, stream, 61_000);
    expect((await leaseRow(url, stream))?.live).toBe(false);
    await a.renew();
    expect(await leaseRow(url, stream)).toMatchObject({ owner: 'a', token: 1n, live: true });

    await advance(url, stream, 61_000);
    const b = await acquireCdcLease(on(stream, 'b'));
    expect(b.token).toBe(2n);
    const lost = await a.renew().catch((e: unknown) => e);
    expect(lost).toMatchObject({
      code: 'LOCKED',
      step: 'renew',
      details: { lost: true, token: 1n, leaseToken: 2n, leaseOwner: 'b' },
    });
    expect([a.state, a.signal.aborted, a.signal.reason]).toEqual(['lost', true, lost]);
    expect(await codeOf(a.renew())).toBe('LOCKED'); // and stays lost
    expect(await a.release()).toBe(false); // not its to release
    expect(await leaseRow(url, stream)).toMatchObject({ owner: 'b', token: 2n, live: true });

    expect(await b.release()).toBe(true);
    expect([b.state, (b.signal.reason as ReloadError).code]).toEqual(['released', 'RESOURCE_CLOSED']);
    expect(await codeOf(b.renew())).toBe('RESOURCE_CLOSED');
    expect(await b.release()).toBe(false);
    expect(await leaseRow(url, stream)).toMatchObject({ owner: null, token: 2n, live: false });
    await using c = await acquireCdcLease(on(stream, 'c')); // released: free at once
    expect(c.token).toBe(3n);
    expect(c.sinkFence()).toMatchObject({ stream, schema: 'baton_fleet', table: 'cdc_leases' });
    expect((c.sinkFence().token as () => bigint)()).toBe(3n);
  });

  it('background renewals keep the lease held past its time to live', async () => {
    const stream = `s${streams++}`;
    await using a = await acquireCdcLease(on(stream, 'a', { ttlMs: 600, renewEveryMs: 100 }));
    const first = a.expiresAt.getTime();
    // Wait (bounded) until the renewals carried the lease past its first expiry.
    const deadline = Date.now() + 10_000;
    while (a.expiresAt.getTime() <= first + 700 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(a.expiresAt.getTime()).toBeGreaterThan(first + 700);
    expect(a.state).toBe('held');
    expect(await codeOf(acquireCdcLease(on(stream, 'b')))).toBe('LOCKED');
  });

  it('renewals failing until the time is up lose the lease (IO_FAILED), each failure heard by onRenewError', async () => {
    const stream = `s${streams++}`;
    await using client = await connect(url);
    await ensureLeaseSchema(client, { schema: 'lease_broken' });
    const heard: string[] = [];
    const a = await acquireCdcLease(
      on(stream, 'a', {
        schema: 'lease_broken',
        ttlMs: 400,
        renewEveryMs: 50,
        onRenewError: (e) => heard.push(e.code),
      }),
    );
    const aborted = once(a.signal, 'abort');
    await client.query('ALTER TABLE lease_broken.cdc_leases RENAME TO gone'); // every renewal now fails
    await aborted;
    expect(a.state).toBe('lost');
    expect(a.signal.reason).toMatchObject({
      code: 'IO_FAILED',
      details: { lost: true },
      cause: { code: 'INVALID_ARGUMENT' },
    });
    expect(heard.length).toBeGreaterThan(0);
    expect(new Set(heard)).toEqual(new Set(['INVALID_ARGUMENT']));
    await client.query('ALTER TABLE lease_broken.gone RENAME TO cdc_leases');
    expect(await a.release()).toBe(false);
  });

  it('an acquire waits for a sink transaction holding the row for at most lockTimeoutMs (LOCKED, busy)', async () => {
    const stream = `s${streams++}`;
    const a = await acquireCdcLease(on(stream, 'a'));
    await advance(url, stream, 61_000);
    await using writer = await connect(url);
    await writer.query('BEGIN');
    await writer.query('SELECT token FROM baton_fleet.cdc_leases WHERE stream = $1 FOR SHARE', [stream]);
    const busy = await acquireCdcLease(on(stream, 'b', { lockTimeoutMs: 100 })).catch((e: unknown) => e);
    expect(busy).toMatchObject({ code: 'LOCKED', details: { busy: true } });
    await writer.query('COMMIT');
    await using b = await acquireCdcLease(on(stream, 'b', { lockTimeoutMs: 100 }));
    expect(b.token).toBe(2n);
    expect(await codeOf(a.renew())).toBe('LOCKED');
  });

  it('refuses bad options, an aborted signal, a missing table and an unreachable database with typed errors', async () => {
    const stream = `s${streams++}`;
    const bad: Partial<CdcLeaseOptions>[] = [
      { url: 'http://x' },
      { stream: '' },
      { owner: '' },
      { ttlMs: 0 },
      { ttlMs: 1.5 },
      { ttlMs: 2 ** 31 }, // past a timer's range
      { renewEveryMs: 60_000 },
      { lockTimeoutMs: -1 },
      { schema: 'Bad Schema' },
      { signal: {} as AbortSignal },
      { extra: 1 } as never,
    ];
    for (const extra of bad) expect(await codeOf(acquireCdcLease(on(stream, 'a', extra)))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(acquireCdcLease(null as never))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(acquireCdcLease(on(stream, 'a', { signal: AbortSignal.abort() })))).toBe('ABORTED');
    expect(await codeOf(acquireCdcLease(on(stream, 'a', { schema: 'no_such_schema' })))).toBe('INVALID_ARGUMENT');
    const nowhere = new URL(url);
    nowhere.port = '1';
    expect(await codeOf(acquireCdcLease(on(stream, 'a', { url: nowhere.href })))).toBe('IO_FAILED');
    expect(await leaseRow(url, stream)).toBeUndefined(); // nothing was taken
  });

  it('ensureLeaseSchema is idempotent and safe to run at once from many clients', async () => {
    const clients = await Promise.all([connect(url), connect(url), connect(url)]);
    try {
      await Promise.all(clients.map((c) => ensureLeaseSchema(c, { schema: 'lease_race' })));
      await ensureLeaseSchema(clients[0], { schema: 'lease_race' });
      const { rows } = await clients[0].query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'lease_race' AND tablename = 'cdc_leases'`,
      );
      expect(rows[0]?.n).toBe(1);
      expect(await codeOf(ensureLeaseSchema(clients[0], { schema: 'Bad' }))).toBe('INVALID_ARGUMENT');
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
  });
});
