import { ReloadError } from '@baton/core';
import type { Storage, StorageBackendProvider, StorageOpenOptions } from '@baton/core';
import { keysWithPrefix, sortedKeysOf } from './memoryStore.js';
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

const DEFAULT_MAX_VALUE_BYTES = 64 * 1024 * 1024;
const DEFAULT_MAX_KEY_LENGTH = 4096;

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
  const maxValueBytes = options.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES;
  const maxKeyLength = options.maxKeyLength ?? DEFAULT_MAX_KEY_LENGTH;
  if (!Number.isSafeInteger(maxValueBytes) || maxValueBytes < 0) throw fail('maxValueBytes must be an integer >= 0');
  if (!Number.isSafeInteger(maxKeyLength) || maxKeyLength < 1) throw fail('maxKeyLength must be an integer >= 1');
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
    if (!(value instanceof Uint8Array)) throw this.fail(`put('${key}') needs a Uint8Array value`);
    if (value.byteLength > this.maxValueBytes)
      throw this.fail(`put('${key}'): ${value.byteLength} bytes exceeds the limit of ${this.maxValueBytes}`);
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
    if (this.#closed)
      throw new ReloadError({
        code: 'RESOURCE_CLOSED',
        phase: 'call',
        kind: 'storageBackend',
        key: this.name,
        message: `storage '${this.name}' is closed`,
      });
    if (typeof key !== 'string' || (!prefix && key === ''))
      throw this.fail(
        `a ${prefix ? 'prefix' : 'key'} must be a ${prefix ? '' : 'non-empty '}string (got ${typeof key})`,
      );
    if (key.length > this.maxKeyLength)
      throw this.fail(`a key of ${key.length} characters exceeds the limit of ${this.maxKeyLength}`);
  }
}
