import { ReloadError } from '@baton/core';
import type { Storage, StorageBackendProvider, StorageOpenOptions } from '@baton/core';
import { keysWithPrefix, sortedKeysOf } from './memoryStore.js';
import { checkStorageKey, checkStorageValue, storageLimits } from './storageRules.js';
import type { MemoryLocation, MemoryStoreLike } from './memoryStore.js';

/** Options of {@link memoryStorageBackend}. */
export interface MemoryStorageBackendOptions {
  /** The backend's name (registry key, default `memory`). */
  readonly name?: string;
  /** The host-owned store holding every location's data (shared by all versions). */
  readonly store: MemoryStoreLike;
  /** Largest value accepted by `put`, in bytes (default 64 MiB), checked before copying. */
  readonly maxValueBytes?: number;
  /** Longest key accepted, in UTF-16 code units (default 4096). */
  readonly maxKeyLength?: number;
}

/**
 * A storage backend keeping each location's key/value data in a host-owned {@link MemoryStore}.
 * Values are copied in and out, so callers never share buffers with the store. Keys sort by UTF-16
 * code units (JavaScript string order). Clean reload: the new version opens the same location and
 * sees the same data; the old storage keeps serving its in-flight calls until it is closed.
 */
export function memoryStorageBackend(options: MemoryStorageBackendOptions): StorageBackendProvider {
  const name = options.name ?? 'memory';
  const { store } = options;
  const fail = (message: string): ReloadError =>
    new ReloadError({
      code: 'INVALID_ARGUMENT',
      phase: 'call',
      kind: 'storageBackend',
      key: name,
      message: `storage '${name}': ${message}`,
    });
  if (typeof store !== 'object' || store === null || typeof store.location !== 'function')
    throw fail('store must be a host-owned MemoryStore');
  const { maxValueBytes, maxKeyLength } = storageLimits(options, fail);
  return {
    name,
    open(openOptions: StorageOpenOptions): Storage {
      if (openOptions.signal?.aborted)
        throw new ReloadError({
          code: 'ABORTED',
          phase: 'call',
          kind: 'storageBackend',
          key: name,
          message: `storage '${name}': open aborted`,
          cause: openOptions.signal.reason,
        });
      return new MemoryStorage(name, store.location(openOptions.location), maxValueBytes, maxKeyLength, fail);
    },
  };
}

class MemoryStorage implements Storage {
  #closed = false;

  constructor(
    private readonly name: string,
    private readonly data: MemoryLocation,
    private readonly maxValueBytes: number,
    private readonly maxKeyLength: number,
    private readonly fail: (message: string) => ReloadError,
  ) {}

  get(key: string): Uint8Array | undefined {
    this.#check(key);
    return this.data.entries.get(key)?.slice();
  }

  put(key: string, value: Uint8Array): void {
    this.#check(key);
    checkStorageValue(key, value, this.maxValueBytes, this.fail);
    if (!this.data.entries.has(key)) this.data.sortedKeys = undefined;
    this.data.entries.set(key, value.slice());
  }

  delete(key: string): boolean {
    this.#check(key);
    const deleted = this.data.entries.delete(key);
    if (deleted) this.data.sortedKeys = undefined;
    return deleted;
  }

  keys(prefix?: string): readonly string[] {
    this.#check(prefix ?? '', true);
    const sorted = sortedKeysOf(this.data);
    return prefix === undefined || prefix === '' ? [...sorted] : keysWithPrefix(sorted, prefix);
  }

  close(): void {
    this.#closed = true;
  }

  #check(key: string, prefix = false): void {
    checkStorageKey(this.name, key, { closed: this.#closed, maxKeyLength: this.maxKeyLength, prefix }, this.fail);
  }
}
