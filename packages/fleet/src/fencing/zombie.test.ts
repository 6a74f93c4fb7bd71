/**
 * A zombie owner (issue 17, "Fencing"): owner A holds the lease of a CDC stream and writes its sink;
 * A is paused — its renewals stop, its connections stay open —, the lease expires by the database's
 * clock, B acquires it (a larger token) and starts writing at once; A wakes and writes what it had
 * in hand: a typed error, nothing written, and the sink holds every batch exactly once.
 */
import type { CdcBatch } from '@baton/core';
import { postgresCdcOutput, readPostgresSink } from '@baton/postgres';
import { cdcBatches, lsnRanges } from '@baton/testing';
import { fc, test } from '@fast-check/vitest';
import { beforeAll, expect } from 'vitest';
import { acquireCdcLease } from './acquireCdcLease.js';
import type { CdcLease } from './cdcLease.js';
import { advance, codeOf, leaseDatabase, processUrl } from './__tests__/leaseFixtures.js';

let url: string;
let runs = 0;

beforeAll(async () => {
  url = await leaseDatabase('fleet_zombie');
});

/** What the zombie does when it wakes: write the batch it had in hand, write an old one again, or checkpoint. */
type Wake = 'next' | 'again' | 'checkpoint';

const scenario = cdcBatches({ maxBatches: 8, maxRows: 3 })
  .filter((batches) => batches.length >= 2)
  .chain((batches) =>
    fc.record({
      batches: fc.constant(batches),
      cut: fc.integer({ min: 1, max: batches.length - 1 }),
      bFirst: fc.nat(batches.length),
      wake: fc.array(fc.constantFrom<Wake>('next', 'again', 'checkpoint'), { minLength: 1, maxLength: 3 }),
    }),
  );

const rowsOf = (batches: readonly CdcBatch[]) => batches.flatMap((b) => b.mutations.toArray().map((r) => r.toJSON()));

test.prop([scenario, fc.scheduler()], { numRuns: 6 })(
  'a paused owner whose lease moved on writes nothing when it wakes; the sink holds every batch once',
  async ({ batches, cut, bFirst, wake }, s) => {
    const stream = `orders_${runs++}`;
    const sink = (lease: CdcLease, process: number) =>
      postgresCdcOutput({
        name: 'orders-sink',
        url: processUrl(url, process),
        output: stream,
        fence: lease.sinkFence(),
      });
    const owner = (name: string) => acquireCdcLease({ url, stream, owner: name, ttlMs: 5_000, renewEveryMs: 0 });

    await using a = await owner('member-a');
    const writerA = await sink(a, 1).start({});
    for (const batch of batches.slice(0, cut)) await writerA.deliver(batch);
    await a.renew();

    // A is paused: no renewals, its lease and sink connections held open. The lease's time runs out.
    await advance(url, stream, 6_000);
    await using b = await owner('member-b');
    expect(b.token).toBe(a.token + 1n);
    const writerB = await sink(b, 2).start({}); // not held up by A's open session
    expect(writerB.position).toBe(batches[cut - 1]!.lsnEnd);
    const before = Math.min(cut + bFirst, batches.length);
    for (const batch of batches.slice(cut, before)) await writerB.deliver(batch);

    // A wakes while B goes on writing; the scheduler picks the order of their calls.
    const inHand = batches[cut]!;
    const attempts = wake.map((what) =>
      s
        .schedule(Promise.resolve(), `A ${what}`)
        .then(() =>
          what === 'checkpoint'
            ? codeOf(writerA.checkpoint())
            : codeOf(writerA.deliver(what === 'next' ? inHand : batches[cut - 1]!)),
        ),
    );
    const bRest = s.schedule(Promise.resolve(), 'B goes on').then(async () => {
      for (const batch of batches.slice(before)) await writerB.deliver(batch);
    });
    await s.waitIdle();
    const codes = await Promise.all(attempts);
    await bRest;
    // Every call of A that reached the database was refused; writing an old batch again is skipped
    // by A without a query (its own position says the sink has it), and writes nothing either.
    wake.forEach((what, i) => {
      expect(what === 'again' ? ['resolved', 'LOCKED'] : ['LOCKED']).toContain(codes[i]);
    });
    if (wake.includes('next')) {
      const refused = await writerA.deliver(inHand).catch((e: unknown) => e);
      expect(refused).toMatchObject({ code: 'LOCKED', kind: 'cdcOutput' });
    }
    expect(await codeOf(a.renew())).toBe('LOCKED');
    expect(a.signal.reason).toMatchObject({ code: 'LOCKED', details: { lost: true, leaseOwner: 'member-b' } });

    await writerA.shutdown();
    await writerB.shutdown();
    const held = await readPostgresSink({ name: 'check', url, output: stream });
    expect(lsnRanges(held.batches)).toEqual(lsnRanges(batches));
    expect(held.batches.map((x) => x.generation)).toEqual(batches.map((_, i) => (i < cut ? 1n : 2n)));
    expect(held.batches.flatMap((x) => x.rows)).toEqual(rowsOf(batches));
    expect(held.checkpoint).toBe(batches.at(-1)!.lsnEnd);
  },
  60_000,
);
