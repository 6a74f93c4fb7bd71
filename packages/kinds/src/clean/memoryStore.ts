import { ReloadError } from '@baton/core';

/**
 * The data of one storage location. A plain object holding a `Map`, so storages made by different
 * copies of this package (an old and a new plugin version) share it as is.
 */
export interface MemoryLocation {
  readonly entries: Map<string, Uint8Array>;
  /** Keys in ascending order; undefined after a key was added or removed (rebuilt on demand). */
  sortedKeys: string[] | undefined;
}

/**
 * The shape a memory storage backend relies on. Backends read it structurally, so a store made by
 * the host's copy of this package works with every plugin version's copy.
 */
export interface MemoryStoreLike {
  /** The data at `location`, created empty on first use. */
  location(location: string): MemoryLocation;
  /** Every location holding data or opened once, in ascending order. */
  locations(): readonly string[];
}

/**
 * Host-owned, in-memory data of storage locations, kept across plugin versions: the host creates
 * one store and hands it to every version of {@link memoryStorageBackend}, so a new version that
 * opens the same location sees the same data (the storage surface's clean reload). Data lives as
 * long as the store; nothing is written to disk.
 */
export class MemoryStore implements MemoryStoreLike {
  readonly #locations = new Map<string, MemoryLocation>();

  /** The data at `location`, created empty on first use. */
  location(location: string): MemoryLocation {
    if (typeof location !== 'string' || location === '') {
      throw new ReloadError({
        code: 'INVALID_ARGUMENT',
        phase: 'call',
        kind: 'storageBackend',
        message: `a storage location must be a non-empty string (got ${String(location)})`,
      });
    }
    let data = this.#locations.get(location);
    if (!data) {
      data = { entries: new Map(), sortedKeys: undefined };
      this.#locations.set(location, data);
    }
    return data;
  }

  /** Every location holding data or opened once, in ascending order. */
  locations(): readonly string[] {
    return [...this.#locations.keys()].sort();
  }

  /** Drops the data at `location`; true when there was any. Storages open on it keep the old data. */
  drop(location: string): boolean {
    return this.#locations.delete(location);
  }
}

/** Keys of `data` in ascending order (cached until a key is added or removed). */
export function sortedKeysOf(data: MemoryLocation): readonly string[] {
  data.sortedKeys ??= [...data.entries.keys()].sort();
  return data.sortedKeys;
}

/** The keys of a sorted array that start with `prefix` (binary search for the first). */
export function keysWithPrefix(sorted: readonly string[], prefix: string): string[] {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid]! < prefix) low = mid + 1;
    else high = mid;
  }
  const out: string[] = [];
  for (let i = low; i < sorted.length && sorted[i]!.startsWith(prefix); i++) out.push(sorted[i]!);
  return out;
}
