import { DuckDBBlobValue, DuckDBInstance, blobValue } from '@duckdb/node-api';
import { ReloadError } from '@baton/core';
import type { CallOptions, ManagedCrdt, PluginHost } from '@baton/core';
import { SqlChannel } from './sqlChannel.js';
import { quoteIdentifier, tableNameProblem } from './tableName.js';

/** Options of {@link CrdtStateTable.open}. */
export interface CrdtStateTableOptions {
  /** The host-owned DuckDB instance. */
  readonly instance: DuckDBInstance;
  /** The table (made on first open): `name`, `kind`, `state`, `saved_at`. Default `baton_crdt_state`. */
  readonly table?: string;
}

/** A CRDT state saved in the table: its kind (the `crdtKind` key) and persisted bytes. */
export interface SavedCrdtState {
  /** The `crdtKind` key of the state (`g-counter`, …). */
  readonly kind: string;
  /** The persisted bytes, in the format of the version that saved them. */
  readonly bytes: Uint8Array;
}

function fail(
  code: 'INVALID_ARGUMENT' | 'CORRUPT_INPUT' | 'RESOURCE_CLOSED',
  message: string,
  name?: string,
): ReloadError {
  return new ReloadError({
    code,
    phase: 'call',
    kind: 'crdtKind',
    ...(name === undefined ? {} : { key: name }),
    message,
  });
}

/**
 * Baton CRDT state kept in a DuckDB table: `checkpoint(crdt)` writes a managed state's persisted
 * bytes (in the format of the version serving it) under its name, replacing the previous row in one
 * statement (atomic in DuckDB), and `open(host, { name, key })` restores it on start — through the host, so the
 * version serving then reads it (and migrates it, when its format is newer). A state whose saved
 * kind is not the one asked for is refused; bytes the provider cannot read fail its
 * `fromPersisted` with `CORRUPT_INPUT`.
 */
export class CrdtStateTable implements AsyncDisposable {
  #closed = false;

  private constructor(
    private readonly channel: SqlChannel,
    private readonly table: string,
  ) {}

  /** Opens the table of `instance` (creating it when missing). */
  static async open(options: CrdtStateTableOptions): Promise<CrdtStateTable> {
    if (!(options.instance instanceof DuckDBInstance))
      throw fail('INVALID_ARGUMENT', 'instance must be a DuckDBInstance of @duckdb/node-api');
    const table = options.table ?? 'baton_crdt_state';
    const problem = tableNameProblem(table);
    if (problem !== undefined) throw fail('INVALID_ARGUMENT', problem);
    const channel = SqlChannel.acquire(options.instance, `DuckDB table ${table}`);
    try {
      await channel.query(
        `CREATE TABLE IF NOT EXISTS ${quoteIdentifier(table)} ` +
          '(name VARCHAR PRIMARY KEY, kind VARCHAR NOT NULL, state BLOB NOT NULL, saved_at TIMESTAMP NOT NULL)',
      );
    } catch (error) {
      await channel.release();
      throw error;
    }
    return new CrdtStateTable(channel, quoteIdentifier(table));
  }

  /** The saved state of `name`, or undefined. */
  async load(name: string): Promise<SavedCrdtState | undefined> {
    this.#check(name);
    const reader = await this.channel.query(`SELECT kind, state FROM ${this.table} WHERE name = $1`, [name]);
    if (reader.currentRowCount === 0) return undefined;
    const kind = reader.value(0, 0);
    const state = reader.value(1, 0);
    if (typeof kind !== 'string' || !(state instanceof DuckDBBlobValue))
      throw fail('CORRUPT_INPUT', `the saved state of '${name}' is not a (kind, bytes) row`, name);
    return { kind, bytes: new Uint8Array(state.bytes) };
  }

  /** Saves `bytes` as the state of `name` (replacing the previous one). */
  async save(name: string, kind: string, bytes: Uint8Array): Promise<void> {
    this.#check(name);
    if (typeof kind !== 'string' || kind === '')
      throw fail('INVALID_ARGUMENT', 'kind must be a non-empty string', name);
    if (!(bytes instanceof Uint8Array)) throw fail('INVALID_ARGUMENT', 'bytes must be a Uint8Array', name);
    await this.channel.query(`INSERT OR REPLACE INTO ${this.table} VALUES ($1, $2, $3, now()::TIMESTAMP)`, [
      name,
      kind,
      blobValue(new Uint8Array(bytes)),
    ]);
  }

  /** Persists a managed state now and saves it under its name and kind. */
  async checkpoint(crdt: ManagedCrdt, options?: CallOptions): Promise<void> {
    const bytes = await crdt.persist(options);
    await this.save(crdt.name, crdt.key, bytes);
  }

  /**
   * Opens `name` in `host` as a managed state of kind `key`: restored from the saved bytes when the
   * table has them, empty otherwise. A saved state of another kind is `INVALID_ARGUMENT`.
   */
  async open<Op = unknown, Value = unknown>(
    host: PluginHost,
    request: { readonly name: string; readonly key: string; readonly signal?: AbortSignal },
  ): Promise<ManagedCrdt<Op, Value>> {
    const saved = await this.load(request.name);
    if (saved && saved.kind !== request.key)
      throw fail(
        'INVALID_ARGUMENT',
        `the saved state of '${request.name}' is a ${saved.kind}, not a ${request.key}`,
        request.name,
      );
    return host.openCrdt<Op, Value>({
      name: request.name,
      key: request.key,
      ...(saved ? { bytes: saved.bytes } : {}),
      ...(request.signal ? { signal: request.signal } : {}),
    });
  }

  /** The names of the saved states, sorted. */
  async names(): Promise<string[]> {
    this.#check('names');
    const reader = await this.channel.query(`SELECT name FROM ${this.table}`);
    return (reader.getColumns()[0] ?? []).map(String).sort();
  }

  /** Deletes the saved state of `name`; true when there was one. */
  async delete(name: string): Promise<boolean> {
    this.#check(name);
    const reader = await this.channel.query(`DELETE FROM ${this.table} WHERE name = $1 RETURNING name`, [name]);
    return reader.currentRowCount > 0;
  }

  /** Lets go of the shared connection (after the statements queued before). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.channel.release();
  }

  /** `await using` closes the table. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #check(name: string): void {
    if (this.#closed) throw fail('RESOURCE_CLOSED', 'the CRDT state table is closed');
    if (typeof name !== 'string' || name === '')
      throw fail('INVALID_ARGUMENT', 'a state name must be a non-empty string');
  }
}
