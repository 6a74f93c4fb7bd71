/**
 * Two or three owners calling acquire, renew and release on one stream's lease, several at once in
 * an order the scheduler picks, with the database's clock moved on between rounds: at most one
 * owner ever believes it holds a live lease (and it is the row's), every acquire gets a larger token
 * than any before, and a lease reported lost really is.
 */
import { isReloadError } from '@baton/core';
import { fc, test } from '@fast-check/vitest';
import type pg from 'pg';
import { afterAll, beforeAll, expect } from 'vitest';
import { connect } from '../__tests__/testDatabase.js';
import { acquireCdcLease } from './acquireCdcLease.js';
import type { CdcLease } from './cdcLease.js';
import { advance, leaseDatabase, leaseRow } from './__tests__/leaseFixtures.js';

let url: string;
let observer: pg.Client; // reads the row and moves the clock on, on one connection
let runs = 0;

beforeAll(async () => {
  url = await leaseDatabase('fleet_lease_props');
  observer = await connect(url);
});

afterAll(async () => {
  await observer.end();
});

type Op = 'acquire' | 'renew' | 'release';
interface Call {
  readonly owner: number;
  readonly op: Op;
}
type Round = { readonly calls: readonly Call[] } | { readonly advanceMs: number };

/** A lease as the test follows it: until when its last grant holds, in unshifted database time. */
interface Tracked {
  readonly lease: CdcLease;
  readonly owner: number;
  until: number;
}

const TTL = 60_000;
// No sum of these is a multiple of the TTL, so no lease expires at the very instant of a check.
const ADVANCES = [17_000, 29_000, 61_000];

const rounds = (owners: number) =>
  fc.array(
    fc.oneof(
      {
        weight: 3,
        arbitrary: fc
          .array(fc.record({ owner: fc.nat(owners - 1), op: fc.constantFrom<Op>('acquire', 'renew', 'release') }), {
            minLength: 1,
            maxLength: 3,
          })
          .map((calls): Round => ({ calls })),
      },
      { weight: 1, arbitrary: fc.constantFrom(...ADVANCES).map((advanceMs): Round => ({ advanceMs })) },
    ),
    { minLength: 1, maxLength: 10 },
  );

const byOwners = fc.integer({ min: 2, max: 3 }).chain((owners) => fc.tuple(fc.constant(owners), rounds(owners)));

test.prop([byOwners, fc.scheduler()], { numRuns: 20 })(
  'at most one owner holds a live lease, tokens strictly increase, a lost lease is lost',
  async ([owners, plan], s) => {
    const stream = `p${runs++}`;
    const tracked: Tracked[] = [];
    const latest: (Tracked | undefined)[] = Array.from({ length: owners }, () => undefined);
    const acquired: bigint[] = [];
    let shifted = 0; // how far the database's clock was moved on for this lease

    const run = async ({ owner, op }: Call): Promise<void> => {
      const mine = latest[owner];
      if (op === 'acquire') {
        const lease = await acquireCdcLease({ url, stream, owner: `o${owner}`, ttlMs: TTL, renewEveryMs: 0 }).catch(
          (error: unknown) => {
            expect(isReloadError(error) && error.code).toBe('LOCKED');
          },
        );
        if (!lease) return;
        acquired.push(lease.token);
        const entry = { lease, owner, until: lease.expiresAt.getTime() + shifted };
        tracked.push(entry);
        latest[owner] = entry;
      } else if (op === 'renew' && mine) {
        const renewed = await mine.lease.renew().then(
          () => true,
          (error: unknown) => {
            expect(isReloadError(error) && error.code).toMatch(/^(LOCKED|RESOURCE_CLOSED)$/);
            return false;
          },
        );
        if (renewed) mine.until = mine.lease.expiresAt.getTime() + shifted;
      } else if (op === 'release' && mine) {
        if (await mine.lease.release()) mine.until = -Infinity;
      }
    };

    try {
      for (const round of plan) {
        if ('advanceMs' in round) {
          await advance(observer, stream, round.advanceMs);
          shifted += round.advanceMs;
        } else {
          // The calls of a round run at once; the scheduler picks the order they are sent in.
          const calls = round.calls.map((call) =>
            s.schedule(Promise.resolve(), `${call.op} o${call.owner}`).then(() => run(call)),
          );
          await s.waitIdle();
          await Promise.all(calls);
        }
        const row = await leaseRow(observer, stream);
        const now = row?.now.getTime() ?? 0;
        const live = tracked.filter((t) => t.until - shifted > now);
        expect(live.length).toBeLessThanOrEqual(1);
        if (live[0]) expect(row).toMatchObject({ owner: `o${live[0].owner}`, token: live[0].lease.token, live: true });
        expect(acquired).toEqual([...acquired].sort((a, b) => (a < b ? -1 : 1)));
        expect(new Set(acquired).size).toBe(acquired.length);
        if (acquired.length > 0) expect(row?.token).toBe(acquired.at(-1));
        for (const t of tracked.filter((x) => x.lease.state === 'lost')) {
          expect(row?.token).not.toBe(t.lease.token);
          expect(t.lease.signal.reason).toMatchObject({ code: 'LOCKED', details: { lost: true } });
        }
      }
    } finally {
      await Promise.all(tracked.map((t) => t.lease.release().catch(() => undefined)));
    }
  },
  120_000,
);
