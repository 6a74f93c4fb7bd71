import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { typedError } from '../cdc/__tests__/cdcFixtures.js';
import { memoryStorageBackend } from './memoryStorageBackend.js';
import { MemoryStore } from './memoryStore.js';
import type { Storage } from '@baton/core';

type Op = { op: 'put'; key: string; value: Uint8Array } | { op: 'delete'; key: string } | { op: 'reopen' };

const key = fc.stringMatching(/^[a-c]{1,3}$/);
const ops = fc.array(
  fc.oneof(
    fc.record({ op: fc.constant('put' as const), key, value: fc.uint8Array({ maxLength: 8 }) }),
    fc.record({ op: fc.constant('delete' as const), key }),
    fc.constant({ op: 'reopen' as const }),
  ),
  { maxLength: 40 },
);

describe('memoryStorageBackend', () => {
  test.prop([ops, fc.stringMatching(/^[a-c]{0,2}$/)], { numRuns: 150 })(
    'behaves like a sorted map, and a new provider version reopening the location sees the same data',
    async (sequence: Op[], prefix) => {
      const store = new MemoryStore();
      const model = new Map<string, Uint8Array>();
      let version = 0;
      let storage: Storage = await memoryStorageBackend({ store }).open({ location: 'db/main' });
      for (const step of sequence) {
        if (step.op === 'put') {
          await storage.put(step.key, step.value);
          model.set(step.key, step.value.slice());
          step.value.fill(7); // the caller's buffer is not shared with the store
        } else if (step.op === 'delete') {
          expect(await storage.delete(step.key)).toBe(model.delete(step.key));
        } else {
          const next = await memoryStorageBackend({ store, name: `memory-v${++version}` }).open({
            location: 'db/main',
          });
          await storage.close();
          storage = next;
        }
        expect(await storage.keys()).toEqual([...model.keys()].sort());
      }
      expect(await storage.keys(prefix)).toEqual([...model.keys()].filter((k) => k.startsWith(prefix)).sort());
      for (const [k, v] of model) expect(await storage.get(k)).toEqual(v);
      const other = await memoryStorageBackend({ store }).open({ location: 'db/other' });
      expect(await other.keys()).toEqual([]);
    },
  );

  it('returns copies, enforces limits and reports a closed storage', async () => {
    const store = new MemoryStore();
    const storage = await memoryStorageBackend({ store, maxValueBytes: 4, maxKeyLength: 5 }).open({ location: 'x' });
    await storage.put('k', new Uint8Array([1, 2]));
    (await storage.get('k'))!.fill(9);
    expect(await storage.get('k')).toEqual(new Uint8Array([1, 2]));
    expect(await storage.get('nope')).toBeUndefined();
    expect(() => storage.put('k', new Uint8Array(5))).toThrow(typedError('INVALID_ARGUMENT', 'exceeds the limit of 4'));
    expect(() => storage.put('k', [1] as never)).toThrow(typedError('INVALID_ARGUMENT', 'Uint8Array'));
    expect(() => storage.put('toolong', new Uint8Array(1))).toThrow(typedError('INVALID_ARGUMENT', 'limit of 5'));
    expect(() => storage.get('')).toThrow(typedError('INVALID_ARGUMENT'));
    expect(() => storage.get(3 as never)).toThrow(typedError('INVALID_ARGUMENT'));
    await storage.close();
    expect(() => storage.get('k')).toThrow(typedError('RESOURCE_CLOSED'));
    expect(store.locations()).toEqual(['x']);
    expect(store.drop('x')).toBe(true);
    expect(() => store.location('')).toThrow(typedError('INVALID_ARGUMENT'));
    expect(() => memoryStorageBackend({ store: {} as never })).toThrow(typedError('INVALID_ARGUMENT'));
    expect(() => memoryStorageBackend({ store }).open({ location: 'y', signal: AbortSignal.abort() })).toThrow(
      typedError('ABORTED'),
    );
  });
});
