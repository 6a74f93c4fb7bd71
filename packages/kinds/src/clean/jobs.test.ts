import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { batchAt, typedError } from '../cdc/__tests__/cdcFixtures.js';
import { ChangeLog } from '../cdc/changeLog.js';
import { changeLogRetentionJob } from './changeLogRetentionJob.js';
import { MemoryStore } from './memoryStore.js';
import { storageStatsJob } from './storageStatsJob.js';
import type { StorageStatsReport } from './storageStatsJob.js';

const context = (signal: AbortSignal = new AbortController().signal) => ({ signal, tick: 3, version: '1.2.0' });

function storeWith(layout: Record<string, number[]>): MemoryStore {
  const store = new MemoryStore();
  for (const [location, sizes] of Object.entries(layout)) {
    const data = store.location(location).entries;
    sizes.forEach((size, i) => data.set(`k${i}`, new Uint8Array(size)));
  }
  return store;
}

describe('storageStatsJob', () => {
  test.prop(
    [
      fc.dictionary(fc.stringMatching(/^[a-z]{1,4}$/), fc.array(fc.nat({ max: 50 }), { maxLength: 30 }), {
        maxKeys: 5,
      }),
      fc.integer({ min: 1, max: 7 }),
    ],
    { numRuns: 50 },
  )('reports keys and bytes of every location, whatever the slice size', async (layout, sliceSize) => {
    const reports: StorageStatsReport[] = [];
    const job = storageStatsJob({ store: storeWith(layout), sliceSize, onReport: (r) => void reports.push(r) });
    await job.tick(context());
    const expected = Object.keys(layout)
      .sort()
      .map((location) => ({
        location,
        keys: layout[location]!.length,
        bytes: layout[location]!.reduce((a, b) => a + b, 0),
      }));
    expect(reports).toEqual([
      {
        tick: 3,
        version: '1.2.0',
        locations: expected,
        keys: expected.reduce((a, l) => a + l.keys, 0),
        bytes: expected.reduce((a, l) => a + l.bytes, 0),
      },
    ]);
  });

  it('stops at the next slice when its signal aborts, without reporting', async () => {
    const reports: StorageStatsReport[] = [];
    const job = storageStatsJob({
      store: storeWith({ a: Array.from({ length: 1000 }, () => 1) }),
      sliceSize: 10,
      onReport: (r) => void reports.push(r),
    });
    const controller = new AbortController();
    const running = job.tick(context(controller.signal));
    controller.abort();
    await running;
    expect(reports).toEqual([]);
    await job.tick(context(AbortSignal.abort()));
    expect(reports).toEqual([]);
  });

  it('validates its options', () => {
    const store = new MemoryStore();
    expect(() => storageStatsJob({ store, onReport: () => undefined, sliceSize: 0 })).toThrow(
      typedError('INVALID_ARGUMENT', 'sliceSize'),
    );
    expect(() => storageStatsJob({ store, onReport: () => undefined, intervalMs: -1 })).toThrow(
      typedError('INVALID_ARGUMENT', 'intervalMs'),
    );
    expect(() => storageStatsJob({ store: null as never, onReport: () => undefined })).toThrow(
      typedError('INVALID_ARGUMENT', 'store'),
    );
    expect(storageStatsJob({ store, onReport: () => undefined })).toMatchObject({
      name: 'storage-stats',
      intervalMs: 60_000,
    });
  });
});

describe('changeLogRetentionJob', () => {
  it('drops what every output has checkpointed, and nothing when aborted or unknown', async () => {
    const log = new ChangeLog();
    const rows = batchAt(0n, 1).mutations;
    for (let i = 0; i < 5; i++) log.append(rows, i);
    const checkpoints: { min: bigint | undefined } = { min: undefined };
    const truncated: [number, bigint][] = [];
    const job = changeLogRetentionJob({
      log,
      retainFrom: () => checkpoints.min,
      onTruncate: (n, floor) => void truncated.push([n, floor]),
    });
    await job.tick(context());
    expect(log.size).toBe(5);
    checkpoints.min = 3n;
    await job.tick(context(AbortSignal.abort()));
    expect(log.size).toBe(5);
    const controller = new AbortController();
    const aborting = changeLogRetentionJob({ log, retainFrom: () => (controller.abort(), 4n) });
    await aborting.tick(context(controller.signal));
    expect(log.size).toBe(5);
    await job.tick(context());
    expect([log.size, log.floorLsn]).toEqual([2, 3n]);
    expect(truncated).toEqual([[3, 3n]]);
    expect(() => changeLogRetentionJob({ log: {} as never, retainFrom: () => 0n })).toThrow(
      typedError('INVALID_ARGUMENT', 'ChangeLog'),
    );
  });
});
