import { DuckDBBlobValue, DuckDBInstance, blobValue } from '@duckdb/node-api';
import { ReloadError } from '@baton/core';
import type { Storage, StorageBackendProvider, StorageOpenOptions } from '@baton/core';
import { checkStorageKey, checkStorageValue, storageLimits } from '@baton/kinds';
import type { StorageLimits } from '@baton/kinds';
import { SqlChannel } from './sqlChannel.js';
import { quoteIdentifier, tableNameProblem } from './tableName.js';

/** Options of {@link duckdbStorageBackend}. */
export interface DuckDBStorageBackendOptions {
  /** The backend's name (registry key, default `duckdb`). */
  readonly name?: string;
  /** The host-owned DuckDB instance holding every location's data (shared by all versions). */
  readonly instance: DuckDBInstance;
  /** The table (made on first open): `location`, `key`, `value`, keyed by both. Default `baton_storage`. */
  readonly table?: string;
  /** Largest value `put` accepts, in bytes (default 64 MiB), checked before anything is written. */
  readonly maxValueBytes?: number;
  /** Longest key accepted, in UTF-16 code units (default 4096). */
  readonly maxKeyLength?: number;
}

/** A lone surrogate: DuckDB stores UTF-8, where it has no encoding (it would come back as U+FFFD). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * A storage backend keeping each location's key/value bytes in a DuckDB table of a host-owned
 * instance: a new plugin version opening the same location sees the same rows, and with a database
 * file the data outlives the process. Every storage of one instance shares one connection and
 * runs its statements in call order, so the old and new storage of a reload never conflict; each
 * `put` and `delete` is committed when it resolves. Keys are well-formed strings (no lone
 * surrogates), listed in JavaScript string order like every Baton storage.
 */
export function duckdbStorageBackend(options: DuckDBStorageBackendOptions): StorageBackendProvider {
  const name = options.name ?? 'duckdb';
  const fail = (message: string): ReloadError =>
    new ReloadError({
      code: 'INVALID_ARGUMENT',
      phase: 'call',
      kind: 'storageBackend',
      key: name,
      message: `storage '${name}': ${message}`,
    });
  if (!(options.instance instanceof DuckDBInstance))
    throw fail('instance must be a DuckDBInstance of @duckdb/node-api');
  const table = options.table ?? 'baton_storage';
  const problem = tableNameProblem(table);
  if (problem !== undefined) throw fail(problem);
  const limits = storageLimits(options, fail);
  const { instance } = options;
  return {
    name,
    async open(openOptions: StorageOpenOptions): Promise<Storage> {
      if (openOptions.signal?.aborted)
        throw new ReloadError({
          code: 'ABORTED',
          phase: 'call',
          kind: 'storageBackend',
          key: name,
          message: `storage '${name}': open aborted`,
          cause: openOptions.signal.reason,
        });
      const location = openOptions.location;
      if (typeof location !== 'string' || location === '' || LONE_SURROGATE.test(location))
        throw fail('location must be a non-empty, well-formed string');
      const channel = SqlChannel.acquire(instance, `DuckDB table ${table}`);
      try {
        await channel.query(
          `CREATE TABLE IF NOT EXISTS ${quoteIdentifier(table)} ` +
            '(location VARCHAR NOT NULL, key VARCHAR NOT NULL, value BLOB NOT NULL, PRIMARY KEY (location, key))',
        );
      } catch (error) {
        await channel.release();
        throw error;
      }
      return new DuckDBStorage(name, channel, quoteIdentifier(table), location, limits, fail);
    },
  };
}

class DuckDBStorage implements Storage {
  #closed = false;

  constructor(
    private readonly name: string,
    private readonly channel: SqlChannel,
    private readonly table: string,
    private readonly location: string,
    private readonly limits: StorageLimits,
    private readonly fail: (message: string) => ReloadError,
  ) {}

  async get(key: string): Promise<Uint8Array | undefined> {
    this.#check(key);
    const reader = await this.channel.query(`SELECT value FROM ${this.table} WHERE location = $1 AND key = $2`, [
      this.location,
      key,
    ]);
    const value = reader.currentRowCount === 0 ? undefined : reader.value(0, 0);
    return value instanceof DuckDBBlobValue ? new Uint8Array(value.bytes) : undefined;
  }

  async put(key: string, value: Uint8Array): Promise<void> {
    this.#check(key);
    checkStorageValue(key, value, this.limits.maxValueBytes, this.fail);
    await this.channel.query(`INSERT OR REPLACE INTO ${this.table} VALUES ($1, $2, $3)`, [
      this.location,
      key,
      blobValue(new Uint8Array(value)),
    ]);
  }

  async delete(key: string): Promise<boolean> {
    this.#check(key);
    const reader = await this.channel.query(
      `DELETE FROM ${this.table} WHERE location = $1 AND key = $2 RETURNING key`,
      [this.location, key],
    );
    return reader.currentRowCount > 0;
  }

  async keys(prefix?: string): Promise<readonly string[]> {
    this.#check(prefix ?? '', true);
    const reader =
      prefix === undefined || prefix === ''
        ? await this.channel.query(`SELECT key FROM ${this.table} WHERE location = $1`, [this.location])
        : await this.channel.query(`SELECT key FROM ${this.table} WHERE location = $1 AND starts_with(key, $2)`, [
            this.location,
            prefix,
          ]);
    const keys = reader.getColumns()[0]?.map(String) ?? [];
    return keys.sort();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.channel.release();
  }

  #check(key: string, prefix = false): void {
    checkStorageKey(
      this.name,
      key,
      { closed: this.#closed, maxKeyLength: this.limits.maxKeyLength, prefix },
      this.fail,
    );
    // DuckDB stores VARCHAR as UTF-8, which cannot hold a lone surrogate.
    if (LONE_SURROGATE.test(key)) throw this.fail('a key must be a well-formed string (it has a lone surrogate)');
  }
}
