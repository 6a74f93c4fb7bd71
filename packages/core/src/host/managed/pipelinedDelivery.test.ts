import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { batchAt } from '../../__tests__/fixtures.js';
import type { CdcBatch, CdcOutputProvider, CdcStream } from '../../surfaces/cdcOutput.js';
import { definePlugin } from '../pluginDefinition.js';
import { createPluginHost } from '../pluginHost.js';

/** What a sink saw: the LSN starts it wrote, in order (shared by every version, like a file). */
type Sink = bigint[];

/** How the attempt-th delivery of a batch fails: not at all, before the write, or after it (ack lost). */
type Failure = false | 'before' | 'after';

/**
 * A CDC output whose streams write to `sink`. `fails(lsnStart, attempt)` makes the attempt-th
 * delivery of a batch throw (a transient sink error) before or after writing it; `delay` (when
 * given) decides when an async write completes.
 */
function output(
  sink: Sink,
  fails: (lsnStart: bigint, attempt: number) => Failure | true,
  delay?: (batch: CdcBatch) => Promise<void>,
): CdcOutputProvider {
  const attempts = new Map<bigint, number>();
  return {
    name: 'out',
    start: ({ fromLsn }): CdcStream => {
      let position = fromLsn ?? 0n;
      const write = (batch: CdcBatch): void => {
        const attempt = (attempts.get(batch.lsnStart) ?? 0) + 1;
        attempts.set(batch.lsnStart, attempt);
        const failure = fails(batch.lsnStart, attempt);
        if (failure === true || failure === 'before') throw new Error(`sink hiccup at ${batch.lsnStart}`);
        if (batch.lsnEnd > position) {
          sink.push(batch.lsnStart);
          position = batch.lsnEnd;
        }
        if (failure === 'after') throw new Error(`acknowledgement of ${batch.lsnStart} lost`);
      };
      return {
        deliver: (batch) => {
          if (!delay) {
            write(batch);
            return;
          }
          return delay(batch).then(() => {
            write(batch);
          });
        },
        checkpoint: () => position,
        shutdown: () => undefined,
      };
    },
  };
}

const plugin = (version: string, out: CdcOutputProvider) =>
  definePlugin({ name: 'p', version, register: (r) => void r.cdcOutput(out) });

const range = (n: number): bigint[] => Array.from({ length: n }, (_, i) => BigInt(i));

describe('a pipelined delivery that fails leaves no gap', () => {
  it('refuses the batches after a failed one until it is delivered again', async () => {
    const sink: Sink = [];
    await using host = createPluginHost();
    await host.load(
      plugin(
        '1.0.0',
        output(sink, (lsn, attempt) => lsn === 5n && attempt === 1),
      ),
    );
    const feed = await host.startCdc({ name: 'feed', key: 'out', fromLsn: 0n });
    // The engine fires 0–9 without awaiting each one.
    const results = await Promise.allSettled(range(10).map((lsn) => feed.deliver(batchAt(lsn))));
    expect(results.slice(0, 5).map((r) => r.status)).toEqual(Array(5).fill('fulfilled'));
    expect(results[5]).toMatchObject({
      status: 'rejected',
      reason: { code: 'PROVIDER_FAILED', step: 'deliver', cause: { message: 'sink hiccup at 5' } },
    });
    for (const r of results.slice(6))
      expect(r).toMatchObject({ status: 'rejected', reason: { code: 'DELIVERY_BLOCKED' } });
    expect(sink).toEqual(range(5));
    expect(feed.blockedFrom).toBe(5n);
    // Jumping ahead is refused too; the retry of 5 is written, not skipped as "already delivered".
    await expect(feed.deliver(batchAt(7n))).rejects.toMatchObject({
      code: 'DELIVERY_BLOCKED',
      details: { missingFrom: 5n },
    });
    expect(await feed.deliver(batchAt(5n))).toBe(true);
    // 6 was refused as well, so it is still what must come next.
    expect(feed.blockedFrom).toBe(6n);
    await expect(feed.deliver(batchAt(8n))).rejects.toMatchObject({ code: 'DELIVERY_BLOCKED' });
    for (const lsn of range(10).slice(6)) expect(await feed.deliver(batchAt(lsn))).toBe(true);
    expect(feed.blockedFrom).toBeUndefined();
    expect(sink).toEqual(range(10));
  });

  it('a delivery whose acknowledgement was lost: a reload before the retry hands over, and the retry is skipped', async () => {
    const sink: Sink = [];
    let lostOnce = false;
    const fails = (lsn: bigint): Failure => (lsn === 5n && !lostOnce ? ((lostOnce = true), 'after') : false);
    const out = () => output(sink, fails);
    await using host = createPluginHost();
    await host.load(plugin('1.0.0', out()));
    const feed = await host.startCdc({ name: 'feed', key: 'out', fromLsn: 0n });
    const results = await Promise.allSettled(range(8).map((lsn) => feed.deliver(batchAt(lsn))));
    expect(results.map((r) => r.status)).toEqual([...Array(5).fill('fulfilled'), ...Array(3).fill('rejected')]);
    expect(sink).toEqual(range(6)); // 5 landed although its delivery failed
    // The sink's checkpoint (6) is ahead of what the host saw delivered (5), within what the failed
    // delivery may have written: the reload hands over instead of refusing.
    await host.reload(plugin('2.0.0', out()));
    for (const lsn of range(8).slice(5)) await feed.deliver(batchAt(lsn));
    expect(sink).toEqual(range(8));
    expect(feed.blockedFrom).toBeUndefined();
  });

  it('a malformed or overlapping batch blocks what follows it as well', async () => {
    const sink: Sink = [];
    await using host = createPluginHost();
    await host.load(
      plugin(
        '1.0.0',
        output(sink, () => false),
      ),
    );
    const feed = await host.startCdc({ name: 'feed', key: 'out', fromLsn: 0n });
    await feed.deliver(batchAt(0n, 4));
    await expect(feed.deliver(batchAt(2n, 4))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(feed.blockedFrom).toBe(4n); // [4, 6) of the overlapping batch never arrived
    await expect(feed.deliver(batchAt(6n))).rejects.toMatchObject({ code: 'DELIVERY_BLOCKED' });
    await expect(feed.deliver({ ...batchAt(4n, 2), mutations: 'rows' as never })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    expect(await feed.deliver(batchAt(4n, 2))).toBe(true);
    expect(await feed.deliver(batchAt(6n))).toBe(true);
    expect(sink).toEqual([0n, 4n, 6n]);
  });

  test.prop(
    [
      fc.scheduler(),
      fc.integer({ min: 1, max: 14 }),
      fc.array(fc.tuple(fc.nat({ max: 13 }), fc.integer({ min: 1, max: 2 }), fc.constantFrom('before', 'after')), {
        maxLength: 6,
      }),
      fc.nat({ max: 14 }),
      fc.integer({ min: 1, max: 6 }),
    ],
    { numRuns: 120 },
  )(
    'pipelined deliveries with transient sink failures (before or after the write), retries from the first failure and a reload: exactly once, in order',
    async (s, count, faultPlan, reloadAfter, window) => {
      const sink: Sink = [];
      const faults = new Map<string, Failure>(faultPlan.map(([i, attempt, how]) => [`${i}:${attempt}`, how]));
      const out = () =>
        output(
          sink,
          (lsn, attempt) => faults.get(`${lsn}:${attempt}`) ?? false,
          (batch) => s.schedule(Promise.resolve(), `write ${batch.lsnStart}`),
        );
      const host = createPluginHost();
      await host.load(plugin('1.0.0', out()));
      const feed = await host.startCdc({ name: 'feed', key: 'out', fromLsn: 0n });
      let reload: Promise<unknown> | undefined;
      let sent = 0;
      // The engine: keeps up to `window` deliveries in flight; after a failure, resends from the
      // earliest batch that did not land (as an idempotent producer does).
      const engine = async (): Promise<void> => {
        let next = 0;
        while (next < count) {
          const upTo = Math.min(count, next + window);
          const flight = range(upTo)
            .slice(next)
            .map((lsn) => {
              if (++sent === reloadAfter) reload = host.reload(plugin('2.0.0', out()));
              return feed.deliver(batchAt(lsn)).then(
                () => true,
                () => false,
              );
            });
          const landed = await Promise.all(flight);
          const firstFailed = landed.indexOf(false);
          next = firstFailed < 0 ? upTo : next + firstFailed;
        }
      };
      await s.waitFor(engine());
      await s.waitFor(Promise.resolve(reload));
      expect(sink).toEqual(range(count));
      expect(feed.deliveredThrough).toBe(BigInt(count));
      expect(feed.blockedFrom).toBeUndefined();
      await s.waitFor(host.close());
    },
  );
});

describe('every gated call counts against the queue limit', () => {
  it('deliveries queued behind a stuck one while the plugin is paused get QUEUE_FULL past the limit', async () => {
    const sink: Sink = [];
    let release!: () => void;
    const stuck = new Promise<void>((resolve) => (release = resolve));
    const limit = 50;
    await using host = createPluginHost({ queueLimit: limit, drainTimeoutMs: 60_000 });
    await host.load(
      plugin(
        '1.0.0',
        output(
          sink,
          () => false,
          (b) => (b.lsnStart === 0n ? stuck : Promise.resolve()),
        ),
      ),
    );
    const feed = await host.startCdc({ name: 'feed', key: 'out', fromLsn: 0n });
    const first = feed.deliver(batchAt(0n));
    const paused = new Promise<void>((resolve) =>
      host.on('quiesced', () => {
        resolve();
      }),
    );
    const reload = host.reload(
      plugin(
        '2.0.0',
        output(sink, () => false),
      ),
    );
    await paused;
    const calls = range(2000)
      .slice(1)
      .map((lsn) => feed.deliver(batchAt(lsn)));
    const full = await Promise.race([
      Promise.allSettled(calls.slice(limit)).then((r) => r.filter((x) => x.status === 'rejected').length),
      reload.then(() => -1),
    ]);
    // Every call beyond the limit was refused at once, while the reload still waited for the stuck one.
    expect(full).toBe(2000 - 1 - limit);
    release();
    await first;
    await reload;
    const settled = await Promise.allSettled(calls.slice(0, limit));
    expect(settled.every((r) => r.status === 'fulfilled')).toBe(true);
    expect(sink).toEqual(range(limit + 1));
    expect(feed.blockedFrom).toBe(BigInt(limit + 1));
    expect(await feed.deliver(batchAt(BigInt(limit + 1)))).toBe(true);
  });
});

describe('calls accepted before a pause are never refused by it', () => {
  it('pipelined deliveries queued behind a slow sink all land across a reload; only new ones meet the limit', async () => {
    const sink: Sink = [];
    let release!: () => void;
    const slow = new Promise<void>((resolve) => (release = resolve));
    await using host = createPluginHost({ queueLimit: 8, drainTimeoutMs: 60_000 });
    const out = () =>
      output(
        sink,
        () => false,
        (b) => (b.lsnStart === 0n ? slow : Promise.resolve()),
      );
    await host.load(plugin('1.0.0', out()));
    const feed = await host.startCdc({ name: 'feed', key: 'out', fromLsn: 0n });
    const accepted = range(100).map((lsn) => feed.deliver(batchAt(lsn)));
    const paused = new Promise<void>((resolve) =>
      host.on('quiesced', () => {
        resolve();
      }),
    );
    const reload = host.reload(plugin('2.0.0', out()));
    await paused;
    const during = range(120)
      .slice(100)
      .map((lsn) => feed.deliver(batchAt(lsn)));
    const refused = await Promise.allSettled(during);
    expect(refused.every((r) => r.status === 'rejected' && (r.reason as { code?: string }).code === 'QUEUE_FULL')).toBe(
      true,
    );
    release();
    expect(await Promise.all(accepted)).toEqual(Array(100).fill(true));
    await reload;
    expect(sink).toEqual(range(100));
    expect(feed.blockedFrom).toBe(100n);
    for (const lsn of range(120).slice(100)) expect(await feed.deliver(batchAt(lsn))).toBe(true);
    expect(sink).toEqual(range(120));
  });

  it('a delivery whose signal aborts while it waits behind an earlier one never reaches the sink', async () => {
    const sink: Sink = [];
    let release!: () => void;
    const slow = new Promise<void>((resolve) => (release = resolve));
    await using host = createPluginHost();
    await host.load(
      plugin(
        '1.0.0',
        output(
          sink,
          () => false,
          (b) => (b.lsnStart === 0n ? slow : Promise.resolve()),
        ),
      ),
    );
    const feed = await host.startCdc({ name: 'feed', key: 'out', fromLsn: 0n });
    const controller = new AbortController();
    const first = feed.deliver(batchAt(0n));
    const second = feed.deliver(batchAt(1n), { signal: controller.signal });
    const third = feed.deliver(batchAt(2n));
    controller.abort();
    release();
    expect(await first).toBe(true);
    await expect(second).rejects.toMatchObject({ code: 'ABORTED' });
    await expect(third).rejects.toMatchObject({ code: 'DELIVERY_BLOCKED' });
    expect(sink).toEqual([0n]);
    expect(feed.blockedFrom).toBe(1n);
  });
});
