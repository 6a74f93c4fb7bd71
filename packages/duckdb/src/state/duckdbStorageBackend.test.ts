import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { createPluginHost, definePlugin } from '@baton/core';
import type { Storage } from '@baton/core';
import { duckdbStorageBackend } from './duckdbStorageBackend.js';
import { typedError } from '../engine/__tests__/engineFixtures.js';

type Op = { op: 'put'; key: string; value: Uint8Array } | { op: 'delete'; key: string } | { op: 'reopen' };

const key = fc.oneof(fc.stringMatching(/^[a-c]{1,3}$/), fc.string({ unit: 'binary', minLength: 1, maxLength: 4 }));
const ops = fc.array(
  fc.oneof(
    fc.record({ op: fc.constant('put' as const), key, value: fc.uint8Array({ maxLength: 8 }) }),
    fc.record({ op: fc.constant('delete' as const), key }),
    fc.constant({ op: 'reopen' as const }),
  ),
  { maxLength: 30 },
);

describe('duckdbStorageBackend', () => {
  test.prop([ops, fc.stringMatching(/^[a-c]{0,2}$/)], { numRuns: 40 })(
    'behaves like a sorted map, and a new provider version reopening the location sees the same data',
    async (sequence: Op[], prefix) => {
      const instance = await DuckDBInstance.create(':memory:');
      const model = new Map<string, Uint8Array>();
      let version = 0;
      let storage: Storage = await duckdbStorageBackend({ instance }).open({ location: 'db/main' });
      for (const step of sequence) {
        if (step.op === 'put') {
          await storage.put(step.key, step.value);
          model.set(step.key, step.value.slice());
          step.value.fill(7); // the caller's buffer is not shared with the table
        } else if (step.op === 'delete') {
          expect(await storage.delete(step.key)).toBe(model.delete(step.key));
        } else {
          const next = await duckdbStorageBackend({ instance, name: `duckdb-v${++version}` }).open({
            location: 'db/main',
          });
          await storage.close();
          storage = next;
        }
      }
      expect(await storage.keys()).toEqual([...model.keys()].sort());
      expect(await storage.keys(prefix)).toEqual([...model.keys()].filter((k) => k.startsWith(prefix)).sort());
      for (const [k, v] of model) expect(await storage.get(k)).toEqual(v);
      const other = await duckdbStorageBackend({ instance }).open({ location: 'db/other' });
      expect(await other.keys()).toEqual([]);
      await other.close();
      await storage.close();
      instance.closeSync();
    },
  );

  it('keeps the data in the database file across processes-worth of reopening, and serves two versions at once', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'baton-duckdb-storage-'));
    try {
      const path = join(directory, 'state.duckdb');
      let instance = await DuckDBInstance.create(path);
      const v1 = await duckdbStorageBackend({ instance }).open({ location: 'l' });
      const v2 = await duckdbStorageBackend({ instance }).open({ location: 'l' });
      // Pipelined writes from both versions of a reload land in call order, without a write conflict.
      await Promise.all(
        Array.from({ length: 40 }, async (_, i) => {
          await (i % 2 === 0 ? v1 : v2).put(`k${i % 5}`, new Uint8Array([i]));
        }),
      );
      expect(await v1.get('k4')).toEqual(new Uint8Array([39]));
      await v1.close();
      await v2.close();
      instance.closeSync();
      instance = await DuckDBInstance.create(path);
      const reopened = await duckdbStorageBackend({ instance }).open({ location: 'l' });
      expect(await reopened.keys()).toEqual(['k0', 'k1', 'k2', 'k3', 'k4']);
      expect(await reopened.get('k0')).toEqual(new Uint8Array([35]));
      await reopened.close();
      instance.closeSync();
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('moves with a reload of the plugin that provides it (reopen at the same location)', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const plugin = (version: string) =>
      definePlugin({
        name: 'store',
        version,
        register(r) {
          r.storageBackend(duckdbStorageBackend({ instance }));
        },
      });
    const host = createPluginHost();
    await host.load(plugin('1.0.0'));
    const storage = await host.openStorage({ name: 'main', key: 'duckdb', location: 'app' });
    await storage.put('a', new Uint8Array([1]));
    const writes = Array.from({ length: 20 }, (_, i) => storage.put(`w${i}`, new Uint8Array([i])));
    const reload = await host.reload(plugin('2.0.0'));
    await Promise.all(writes);
    await storage.put('b', new Uint8Array([2]));
    expect(storage.version).toBe('2.0.0');
    expect((await storage.keys()).length).toBe(22);
    expect(await storage.get('a')).toEqual(new Uint8Array([1]));
    await reload.retired;
    await storage.close();
    await host.close();
    instance.closeSync();
  });

  it('checks keys, values, limits and options, and reports a closed storage', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const storage = await duckdbStorageBackend({ instance, maxValueBytes: 4, maxKeyLength: 5 }).open({ location: 'x' });
    await storage.put('k', new Uint8Array([1, 2]));
    (await storage.get('k'))!.fill(9);
    expect(await storage.get('k')).toEqual(new Uint8Array([1, 2]));
    await storage.put('e', new Uint8Array());
    expect(await storage.get('e')).toEqual(new Uint8Array());
    expect(await storage.get('nope')).toBeUndefined();
    await storage.put('nul\0', new Uint8Array([3]));
    expect(await storage.get('nul\0')).toEqual(new Uint8Array([3]));
    expect(await storage.get('nul')).toBeUndefined();
    await expect(storage.put('k', new Uint8Array(5))).rejects.toThrow(
      typedError('INVALID_ARGUMENT', 'exceeds the limit of 4'),
    );
    await expect(storage.put('k', [1] as never)).rejects.toThrow(typedError('INVALID_ARGUMENT', 'Uint8Array'));
    await expect(storage.put('toolong', new Uint8Array(1))).rejects.toThrow(
      typedError('INVALID_ARGUMENT', 'limit of 5'),
    );
    await expect(storage.put('\uD800x', new Uint8Array(1))).rejects.toThrow(
      typedError('INVALID_ARGUMENT', 'lone surrogate'),
    );
    await expect(storage.get('')).rejects.toThrow(typedError('INVALID_ARGUMENT'));
    await expect(storage.get(3 as never)).rejects.toThrow(typedError('INVALID_ARGUMENT'));
    await storage.close();
    await expect(storage.get('k')).rejects.toThrow(typedError('RESOURCE_CLOSED'));
    expect(() => duckdbStorageBackend({ instance: {} as never })).toThrow(typedError('INVALID_ARGUMENT'));
    expect(() => duckdbStorageBackend({ instance, table: 'x; DROP TABLE y' })).toThrow(
      typedError('INVALID_ARGUMENT', 'table'),
    );
    await expect(
      duckdbStorageBackend({ instance }).open({ location: 'y', signal: AbortSignal.abort() }),
    ).rejects.toThrow(typedError('ABORTED'));
    await expect(duckdbStorageBackend({ instance }).open({ location: '' })).rejects.toThrow(
      typedError('INVALID_ARGUMENT'),
    );
    instance.closeSync();
  });
});
