import { createPluginHost, definePlugin } from '@baton/core';
import type { PluginDefinition } from '@baton/core';
import { Float64, Utf8, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { meanAggregate } from './float64Aggregates.js';
import { memoryStorageBackend } from './memoryStorageBackend.js';
import { MemoryStore } from './memoryStore.js';
import { storageStatsJob } from './storageStatsJob.js';
import type { StorageStatsReport } from './storageStatsJob.js';
import { lowerFunction } from './utf8Case.js';

describe('clean-surface providers under a real PluginHost reload', () => {
  it('serve across a reload: storage data stays at its location, the next job tick runs on the new version', async () => {
    const store = new MemoryStore(); // host-owned
    const reports: StorageStatsReport[] = [];
    const plugin = (version: string): PluginDefinition =>
      definePlugin({
        name: 'clean',
        version,
        register(r) {
          r.scalarFunction(lowerFunction());
          r.aggregateFunction(meanAggregate());
          r.storageBackend(memoryStorageBackend({ store }));
          r.backgroundJob(storageStatsJob({ store, onReport: (report) => void reports.push(report) }));
        },
      });
    await using host = createPluginHost();
    await host.load(plugin('1.0.0'));
    const storage = await host.openStorage({ name: 'catalog', key: 'memory', location: 'db/catalog' });
    await storage.put('table/orders', new Uint8Array([1, 2, 3]));
    expect(await host.runJob('storage-stats')).toBe(true);

    const result = await host.reload(plugin('2.0.0'));
    await result.retired;
    expect(storage.version).toBe('2.0.0');
    expect(await storage.get('table/orders')).toEqual(new Uint8Array([1, 2, 3]));
    await storage.put('table/users', new Uint8Array([4]));
    expect(await storage.keys('table/')).toEqual(['table/orders', 'table/users']);
    expect(await host.runJob('storage-stats')).toBe(true);
    expect(reports.map((r) => [r.version, r.keys, r.bytes])).toEqual([
      ['1.0.0', 1, 3],
      ['2.0.0', 2, 4],
    ]);

    const lowered = await host.call('scalarFunction', 'lower', (f) =>
      f.invoke([vectorFromArray(['ÄB', null], new Utf8())]),
    );
    expect(lowered.toArray()).toEqual(['äb', null]);
    const mean = await host.call('aggregateFunction', 'mean', async (agg) =>
      agg.finish(await agg.update(await agg.init(), [vectorFromArray([1, 2, 4], new Float64())])),
    );
    expect(mean).toBe(7 / 3);
  });
});
