import { DuckDBResultReader } from '@duckdb/node-api';
import type { DuckDBConnection, DuckDBInstance, DuckDBValue } from '@duckdb/node-api';
import { duckdbError } from '../engine/engineErrors.js';

/**
 * One DuckDB connection shared by every user of an instance in this process (each storage any
 * plugin version opens, each CRDT table), running their statements one at a time in call order.
 * Sharing it means two versions serving the same location during a reload never race each other
 * into a DuckDB write conflict, and a write acknowledged to one is seen by the other's next read.
 * Reference-counted: the connection closes when its last user lets go.
 */
export class SqlChannel {
  static readonly #channels = new WeakMap<DuckDBInstance, SqlChannel>();

  #users = 0;
  #connection: Promise<DuckDBConnection> | undefined;
  #tail: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly instance: DuckDBInstance,
    readonly location: string,
  ) {}

  /** The channel of `instance` (made on first use), with one more user; `location` names it in errors. */
  static acquire(instance: DuckDBInstance, location: string): SqlChannel {
    let channel = SqlChannel.#channels.get(instance);
    if (channel === undefined) {
      channel = new SqlChannel(instance, location);
      SqlChannel.#channels.set(instance, channel);
    }
    channel.#users++;
    return channel;
  }

  /** Runs `sql` with `values` after every earlier statement; resolves with the whole result. */
  query(sql: string, values?: DuckDBValue[]): Promise<DuckDBResultReader> {
    const run = this.#tail.then(() => this.#run(sql, values));
    this.#tail = run.catch(() => undefined);
    return run;
  }

  /** One user fewer; the last one closes the connection after the statements queued before. */
  async release(): Promise<void> {
    if (this.#users === 0) return;
    this.#users--;
    if (this.#users > 0) return;
    SqlChannel.#channels.delete(this.instance);
    const connection = this.#connection;
    this.#connection = undefined;
    await this.#tail;
    if (connection) (await connection.catch(() => undefined))?.disconnectSync();
  }

  #connect(): Promise<DuckDBConnection> {
    const pending = (this.#connection ??= this.instance.connect());
    pending.catch(() => {
      if (this.#connection === pending) this.#connection = undefined;
    });
    return pending;
  }

  async #run(sql: string, values?: DuckDBValue[]): Promise<DuckDBResultReader> {
    try {
      const connection = await this.#connect();
      const reader = new DuckDBResultReader(await connection.run(sql, values));
      await reader.readAll();
      return reader;
    } catch (error) {
      throw duckdbError(error, { sql, location: this.location });
    }
  }
}
