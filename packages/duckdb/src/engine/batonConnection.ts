import { DuckDBResultReader } from '@duckdb/node-api';
import type { DuckDBConnection, DuckDBMaterializedResult, DuckDBValue } from '@duckdb/node-api';
import type { RecordBatch } from 'apache-arrow';
import { ReloadError } from '@baton/core';
import { duckdbError } from './engineErrors.js';
import { QueryScope } from './queryScope.js';
import type { LeaseSource } from './queryScope.js';

/** Values for a statement's parameters: positional (`$1`, `?`) or named (`$name`). */
export type QueryValues = DuckDBValue[] | Record<string, DuckDBValue>;

/** An index search a query reads with the search table function (`baton_search('name')`). */
export interface SearchRequest {
  /** The index: a `ManagedIndex` (`host.openIndex`), or anything with its `probe`. */
  readonly index: {
    probe(query: RecordBatch, k: number, options?: { readonly signal?: AbortSignal }): Promise<RecordBatch>;
  };
  /** The query batch of the index kind (a `vector` column for `flat-vector`). */
  readonly query: RecordBatch;
  /** Matches per query row. */
  readonly k: number;
}

/** Options of {@link BatonConnection.run}. */
export interface QueryOptions {
  /** Interrupts the query (`ABORTED`); the query's leases are released once DuckDB has stopped. */
  readonly signal?: AbortSignal;
  /**
   * Index searches the query reads, by name: each is probed once when the query starts, and the
   * query reads its rows with `baton_search('name')` (see `BatonDuckDB.registerSearchFunction`).
   */
  readonly searches?: Readonly<Record<string, SearchRequest>>;
}

/** What a connection needs from its engine. */
export interface ConnectionOwner {
  /** Every entry point a query may call: a query leases them all when it starts. */
  leaseSources(): Iterable<LeaseSource>;
  /** Called once the connection is closed. */
  forget(connection: BatonConnection): void;
}

/**
 * A DuckDB connection whose queries may call plugin functions. Each query holds one lease on every
 * entry point of the engine for its whole run — taken when it starts, released after its result is
 * materialized — so every row of one query is computed by one version of each function, and a
 * reload commits between queries without failing one (the old version retires after the last query
 * that holds it). A connection runs one query at a time (later ones wait their turn); run queries
 * concurrently on several connections.
 */
export class BatonConnection implements AsyncDisposable {
  readonly #connection: DuckDBConnection;
  readonly #owner: ConnectionOwner;
  readonly #connectionId: string;
  #scope: QueryScope | undefined;
  #tail: Promise<unknown> = Promise.resolve();
  #closing: Promise<void> | undefined;

  /** @internal Made by `BatonDuckDB.connect`. */
  constructor(connection: DuckDBConnection, owner: ConnectionOwner) {
    this.#connection = connection;
    this.#owner = owner;
    // Read once, while the connection is open: the client context of a disconnected connection is
    // not a valid object, and @duckdb/node-api's finalizer of it then frees an invalid pointer
    // (the process aborts at the next garbage collection).
    this.#connectionId = String(connection.clientContext.connectionId);
  }

  /** @internal The scope of the query running now (read by the entry points). */
  get scope(): QueryScope | undefined {
    return this.#scope;
  }

  /** @internal DuckDB's id of this connection (what a bind callback names). */
  get connectionId(): string {
    return this.#connectionId;
  }

  /**
   * Runs `sql` (one or more statements) and returns its materialized result. A function that fails
   * fails the query with the function's `ReloadError`; a statement DuckDB refuses is
   * `INVALID_ARGUMENT`, an interrupted one `ABORTED`, with DuckDB's error as the cause.
   */
  run(sql: string, values?: QueryValues, options: QueryOptions = {}): Promise<DuckDBMaterializedResult> {
    return this.#enqueue(sql, options, () => this.#connection.run(sql, values));
  }

  /** Runs `sql` and reads its whole result (rows, columns, names) before the query's leases are released. */
  runAndReadAll(sql: string, values?: QueryValues, options: QueryOptions = {}): Promise<DuckDBResultReader> {
    return this.#enqueue(sql, options, async () => {
      const reader = new DuckDBResultReader(await this.#connection.run(sql, values));
      await reader.readAll();
      return reader;
    });
  }

  /** Waits for the running and queued queries, then closes the DuckDB connection. Idempotent. */
  close(): Promise<void> {
    const disconnect = (): void => {
      this.#disconnect();
    };
    return (this.#closing ??= this.#tail.then(disconnect, disconnect));
  }

  /** `await using` closes the connection. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #disconnect(): void {
    this.#connection.disconnectSync();
    this.#owner.forget(this);
  }

  #enqueue<T>(sql: string, options: QueryOptions, execute: () => Promise<T>): Promise<T> {
    if (this.#closing)
      return Promise.reject(
        new ReloadError({ code: 'RESOURCE_CLOSED', phase: 'call', message: 'the DuckDB connection is closed' }),
      );
    const run = this.#tail.then(
      () => this.#execute(sql, options, execute),
      () => this.#execute(sql, options, execute),
    );
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async #execute<T>(sql: string, options: QueryOptions, execute: () => Promise<T>): Promise<T> {
    const { signal } = options;
    if (signal?.aborted) throw duckdbError(new Error('INTERRUPT Error: aborted before it started'), { sql, signal });
    const scope = new QueryScope(this.#owner.leaseSources(), signal);
    try {
      await probeSearches(scope, options.searches, signal);
    } catch (error) {
      scope.release();
      throw error;
    }
    this.#scope = scope;
    const interrupt = (): void => {
      this.#connection.interrupt();
    };
    signal?.addEventListener('abort', interrupt, { once: true });
    try {
      return await execute();
    } catch (error) {
      throw scope.failure ?? duckdbError(error, { sql, signal });
    } finally {
      signal?.removeEventListener('abort', interrupt);
      this.#scope = undefined;
      scope.release();
    }
  }
}

/** Probes each search of a query (in parallel) into its scope. */
async function probeSearches(
  scope: QueryScope,
  searches: Readonly<Record<string, SearchRequest>> | undefined,
  signal: AbortSignal | undefined,
): Promise<void> {
  if (searches === undefined) return;
  const entries = Object.entries(searches);
  for (const [name, request] of entries) {
    const problem =
      typeof (request as Partial<SearchRequest> | undefined)?.index?.probe !== 'function'
        ? 'index must have a probe (a ManagedIndex)'
        : !Number.isSafeInteger(request.k) || request.k < 1
          ? `k must be a positive integer (got ${String(request.k)})`
          : undefined;
    if (problem !== undefined)
      throw new ReloadError({
        code: 'INVALID_ARGUMENT',
        phase: 'call',
        kind: 'indexKind',
        key: name,
        message: `search '${name}': ${problem}`,
      });
  }
  const results = await Promise.all(
    entries.map(([, request]) => request.index.probe(request.query, request.k, signal ? { signal } : {})),
  );
  entries.forEach(([name], i) => scope.searches.set(name, results[i]!));
}
