import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import type { CdcBatch } from '@baton/core';
import { batchAt, batchesOf, endOf, ranges, typedError } from './__tests__/cdcFixtures.js';
import { callbackCdcOutput } from './callbackCdcOutput.js';
import { CdcChannel } from './cdcChannel.js';
import { CdcPosition } from './cdcPosition.js';

describe('callbackCdcOutput', () => {
  test.prop(
    [
      fc.array(fc.nat({ max: 4 }), { minLength: 1, maxLength: 15 }),
      fc.array(fc.nat(), { minLength: 1, maxLength: 3 }),
      fc.nat(),
    ],
    { numRuns: 100 },
  )(
    'exactly once across any number of handoffs to new provider versions sharing one position',
    async (sizes, cutSeeds, replaySeed) => {
      const batches = batchesOf(sizes);
      const received: string[] = [];
      const checkpoints: bigint[] = [];
      const position = new CdcPosition();
      const version = (v: number) =>
        callbackCdcOutput({
          name: 'feed',
          position,
          onBatch: async (batch) => void received.push(`v${v}:${batch.lsnStart}-${batch.lsnEnd}`),
          onCheckpoint: (lsn) => void checkpoints.push(lsn),
        });
      let stream = await version(0).start({ fromLsn: 0n });
      let delivered = 0;
      const cuts = cutSeeds.map((seed) => seed % (batches.length + 1)).sort((a, b) => a - b);
      for (const [i, cut] of cuts.entries()) {
        for (const batch of batches.slice(delivered, cut)) await stream.deliver(batch);
        delivered = Math.max(delivered, cut);
        const lsn = await stream.checkpoint();
        expect(lsn).toBe(endOf(batches, delivered));
        await stream.shutdown();
        stream = await version(i + 1).start({ fromLsn: lsn });
        // re-delivery from an earlier batch is skipped
        for (const batch of batches.slice(replaySeed % (delivered + 1), delivered)) await stream.deliver(batch);
      }
      for (const batch of batches.slice(delivered)) await stream.deliver(batch);
      expect(await stream.checkpoint()).toBe(endOf(batches, batches.length));
      expect(received.map((r) => r.split(':')[1])).toEqual(ranges(batches));
      expect(checkpoints.at(-1)).toBe(position.lsn);
    },
  );

  it('a batch whose callback rejects is not counted and can be delivered again', async () => {
    const position = new CdcPosition(10n);
    const seen: CdcBatch[] = [];
    let fail = true;
    const stream = await callbackCdcOutput({
      name: 'feed',
      position,
      onBatch: (batch) => {
        if (fail) throw new Error('consumer down');
        seen.push(batch);
      },
    }).start({ fromLsn: 4n });
    expect(await stream.checkpoint()).toBe(10n); // resumes where the consumer is, not at the older fromLsn
    await stream.deliver(batchAt(8n, 2)); // already accepted
    await expect(stream.deliver(batchAt(10n, 2))).rejects.toThrow('consumer down');
    expect(position.lsn).toBe(10n);
    fail = false;
    await stream.deliver(batchAt(10n, 2));
    expect(ranges(seen)).toEqual(['10-12']);
    expect(await stream.checkpoint()).toBe(12n);
  });

  it('refuses a fromLsn ahead of the consumer and malformed batches', async () => {
    const position = new CdcPosition(5n);
    const output = callbackCdcOutput({ name: 'feed', position, onBatch: () => undefined });
    await expect(output.start({ fromLsn: 9n })).rejects.toMatchObject(
      typedError('INVALID_ARGUMENT', 'would lose batches [5, 9)'),
    );
    const stream = await output.start({});
    await expect(stream.deliver(batchAt(3n, 4))).rejects.toMatchObject(typedError('INVALID_ARGUMENT', 'overlaps'));
    await expect(stream.deliver({ ...batchAt(5n, 1), commitTimestamp: Infinity })).rejects.toMatchObject(
      typedError('INVALID_ARGUMENT'),
    );
    expect(() => new CdcPosition(-1n)).toThrow(typedError('INVALID_ARGUMENT'));
    expect(() => callbackCdcOutput({ name: 'x', position, onBatch: 'no' as never })).toThrow(
      typedError('INVALID_ARGUMENT'),
    );
    expect(() => callbackCdcOutput({ name: 'x', position: null as never, onBatch: () => undefined })).toThrow(
      typedError('INVALID_ARGUMENT'),
    );
  });

  it('a new start waits for the old stream’s in-flight delivery and fences it', async () => {
    const position = new CdcPosition();
    const seen: string[] = [];
    let release!: () => void;
    let entered!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const inCallback = new Promise<void>((resolve) => (entered = resolve));
    const output = callbackCdcOutput({
      name: 'feed',
      position,
      onBatch: async (batch) => {
        if (batch.lsnStart === 0n) {
          entered();
          await gate;
        }
        seen.push(`${batch.lsnStart}`);
      },
    });
    const old = await output.start({ fromLsn: 0n });
    const inFlight = old.deliver(batchAt(0n, 1));
    await inCallback;
    const starting = output.start({ fromLsn: 0n });
    let started = false;
    void starting.then(() => (started = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toBe(false); // waits for the old stream's delivery
    release();
    const next = await starting;
    await inFlight;
    await next.deliver(batchAt(0n, 1)); // the old stream delivered it: skipped
    await next.deliver(batchAt(1n, 1));
    await expect(old.deliver(batchAt(2n, 1))).rejects.toMatchObject(typedError('RESOURCE_CLOSED', 'fenced'));
    await next.shutdown();
    await expect(next.checkpoint()).rejects.toMatchObject(typedError('RESOURCE_CLOSED', 'shut down'));
    expect(seen).toEqual(['0', '1']);
  });
});

describe('CdcChannel behind a callback output', () => {
  test.prop(
    [
      fc.array(fc.nat({ max: 3 }), { minLength: 1, maxLength: 30 }),
      fc.integer({ min: 1, max: 4 }),
      fc.nat(),
      fc.nat({ max: 3 }),
    ],
    { numRuns: 60 },
  )(
    'a slow async-iterator consumer gets every batch once, in order, across a handoff, with at most highWaterMark queued',
    async (sizes, highWaterMark, cutSeed, consumerDelay) => {
      const batches = batchesOf(sizes);
      const channel = new CdcChannel({ highWaterMark });
      const position = new CdcPosition();
      let maxQueued = 0;
      const onBatch = async (batch: CdcBatch): Promise<void> => {
        await channel.push(batch);
        maxQueued = Math.max(maxQueued, channel.size);
      };
      const output = () => callbackCdcOutput({ name: 'feed', position, onBatch });
      const seen: CdcBatch[] = [];
      const consumer = (async () => {
        for await (const batch of channel) {
          seen.push(batch);
          for (let i = 0; i < consumerDelay; i++) await new Promise((r) => setImmediate(r));
        }
      })();
      const cut = cutSeed % (batches.length + 1);
      const first = await output().start({ fromLsn: 0n });
      for (const batch of batches.slice(0, cut)) await first.deliver(batch);
      const lsn = await first.checkpoint();
      await first.shutdown();
      const second = await output().start({ fromLsn: lsn });
      for (const batch of batches) await second.deliver(batch); // full re-feed: already queued ones are skipped
      channel.close();
      await consumer;
      expect(ranges(seen)).toEqual(ranges(batches));
      expect(maxQueued).toBeLessThanOrEqual(highWaterMark);
    },
  );

  it('push waits while full, close ends the consumer and refuses pushes, one consumer only', async () => {
    const channel = new CdcChannel({ highWaterMark: 1 });
    const [a, b] = batchesOf([1, 1]);
    await channel.push(a!);
    let pushed = false;
    const waiting = channel.push(b!).then(() => (pushed = true));
    await new Promise((r) => setImmediate(r));
    expect(pushed).toBe(false);
    const iterator = channel[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toBe(a);
    await waiting;
    expect(pushed).toBe(true);
    await expect(channel[Symbol.asyncIterator]().next()).rejects.toMatchObject(
      typedError('INVALID_ARGUMENT', 'one consumer'),
    );
    channel.close();
    expect((await iterator.next()).value).toBe(b);
    expect((await iterator.next()).done).toBe(true);
    await expect(channel.push(a!)).rejects.toMatchObject(typedError('RESOURCE_CLOSED'));
    expect(() => new CdcChannel({ highWaterMark: 0 })).toThrow(typedError('INVALID_ARGUMENT'));
  });
});
