import { DuckDBInstance, DuckDBScalarFunction, LIST } from '@duckdb/node-api';
import type {
  DuckDBConnection,
  DuckDBDataChunk,
  DuckDBScalarFunctionBindInfo,
  DuckDBScalarFunctionInfo,
  DuckDBType,
  DuckDBVector,
} from '@duckdb/node-api';
import { ReloadError } from '@baton/core';
import type { PluginHost } from '@baton/core';
import { toReloadError } from '@baton/core/kit';
import { columnTypeName, duckdbTypeOf } from '../types/columnTypes.js';
import { AggregateEntryPoint } from './aggregateEntryPoint.js';
import { BatonConnection } from './batonConnection.js';
import { duckdbError } from './engineErrors.js';
import type { EntryPoint } from './entryPoint.js';
import { signatureText } from './entryPoint.js';
import { aggregateSignature, entryName, invalidRegistration, scalarSignature } from './entrySignatures.js';
import type { LeaseSource } from './queryScope.js';
import { ScalarEntryPoint } from './scalarEntryPoint.js';
import { searchTableFunction } from '../search/searchFunction.js';

/** Options of {@link BatonDuckDB.open}. */
export interface BatonDuckDBOptions {
  /** The plugin host whose functions the entry points call. */
  readonly host: PluginHost;
  /** A DuckDB instance owned by the caller (not closed by the engine). */
  readonly instance?: DuckDBInstance;
  /** Without `instance`: the database the engine opens and closes (default `:memory:`). */
  readonly path?: string;
}

/** Options of {@link BatonDuckDB.registerScalarFunction}. */
export interface ScalarEntryPointOptions {
  /** The SQL name (default: the surface key). Letters, digits and `_`, not starting with a digit. */
  readonly name?: string;
  /** DuckDB parameter types (default: the serving provider's `argumentTypes`). */
  readonly parameterTypes?: readonly DuckDBType[];
  /** DuckDB return type (default: the serving provider's `returnType`). */
  readonly returnType?: DuckDBType;
  /** Marks the function volatile (DuckDB then never folds or caches its calls). */
  readonly volatile?: boolean;
}

/** Options of {@link BatonDuckDB.registerAggregateFunction}. */
export interface AggregateEntryPointOptions {
  /** The SQL name (default: the surface key). Letters, digits and `_`, not starting with a digit. */
  readonly name?: string;
  /** The DuckDB type of the values aggregated (a scalar type): the function takes a LIST of it. */
  readonly elementType: DuckDBType;
  /** DuckDB return type (default: the serving provider's `returnType`). */
  readonly returnType?: DuckDBType;
}

/** An entry point registered in DuckDB. */
export interface EntryPointInfo {
  /** The SQL name. */
  readonly name: string;
  /** The surface kind it calls. */
  readonly kind: 'scalarFunction' | 'aggregateFunction';
  /** The surface key in the plugin host. */
  readonly key: string;
  /** `(VARCHAR) → VARCHAR`; `(DOUBLE[]) → DOUBLE` for an aggregate over a list. */
  readonly signature: string;
}

/** What the bind callback leaves for the main callback: the connection the query runs on. */
interface Binding {
  readonly connection: BatonConnection;
}

/**
 * Baton inside DuckDB: plugin functions registered in a DuckDB database once, as stable entry points
 * that route each call to the version the calling query holds; queries run on
 * {@link BatonConnection}s, each holding one lease per entry point for its whole run.
 *
 * DuckDB calls the functions on its worker threads; @duckdb/node-api hands each call (a bind, one
 * data chunk) to the JavaScript thread and blocks that worker until it returns, so providers run on
 * the JavaScript thread, one chunk at a time, and must return synchronously.
 */
export class BatonDuckDB implements AsyncDisposable {
  readonly #host: PluginHost;
  readonly #ownsInstance: boolean;
  readonly #registrar: DuckDBConnection;
  readonly #entries = new Map<string, EntryPoint>();
  readonly #connections = new Map<string, BatonConnection>();
  readonly #searchFunctions = new Set<string>();
  readonly #owner = {
    leaseSources: (): Iterable<LeaseSource> => this.#entries.values(),
    forget: (connection: BatonConnection): void => {
      this.#connections.delete(connection.connectionId);
    },
  };
  #closing: Promise<void> | undefined;

  private constructor(
    host: PluginHost,
    /** The DuckDB database the entry points are registered in (for raw connections, appenders, state tables). */
    readonly instance: DuckDBInstance,
    ownsInstance: boolean,
    registrar: DuckDBConnection,
  ) {
    this.#host = host;
    this.#ownsInstance = ownsInstance;
    this.#registrar = registrar;
  }

  /** Opens an engine over a DuckDB instance (the caller's, or one it opens at `path`). */
  static async open(options: BatonDuckDBOptions): Promise<BatonDuckDB> {
    const { host, instance, path } = options;
    const candidate: unknown = host;
    if (typeof candidate !== 'object' || candidate === null || !('surface' in candidate))
      throw invalidRegistration('scalarFunction', 'host must be a PluginHost');
    if (instance !== undefined && !(instance instanceof DuckDBInstance))
      throw invalidRegistration('scalarFunction', 'instance must be a DuckDBInstance of @duckdb/node-api');
    let opened: DuckDBInstance;
    try {
      opened = instance ?? (await DuckDBInstance.create(path ?? ':memory:'));
    } catch (error) {
      throw duckdbError(error, { action: 'open', location: path ?? ':memory:' });
    }
    const registrar = await opened.connect();
    return new BatonDuckDB(host, opened, instance === undefined, registrar);
  }

  /**
   * Registers a plugin's `scalarFunction` surface `key` in DuckDB as the function `name`: one stable
   * entry point that serves every version the host loads. Its signature comes from the options or
   * the serving provider's declared types; a provider version whose declared types differ fails the
   * queries that call it (`INVALID_PROVIDER`). Types DuckDB cannot carry are `INVALID_ARGUMENT`.
   */
  registerScalarFunction(key: string, options: ScalarEntryPointOptions = {}): EntryPointInfo {
    this.#assertOpen();
    const checked = entryName('scalarFunction', key, options.name);
    const ref = this.#host.surface('scalarFunction', checked.key);
    const signature = scalarSignature(checked.key, ref.unleasedProvider, options);
    return this.#register(
      new ScalarEntryPoint(checked.name, checked.key, ref, signature),
      signature.parameters.map(duckdbTypeOf),
      options.volatile === true,
    );
  }

  /**
   * Registers a plugin's `aggregateFunction` surface `key` in DuckDB as the scalar function
   * `name(LIST)`: `@duckdb/node-api` has no aggregate functions, so a query aggregates a group by
   * handing the plugin the group's values as a list — `SELECT g, name(list(x)) FROM t GROUP BY g` —
   * and each list is folded with `init` → `update` → `finish` of the version the query leased.
   * `merge` is not used. NULLs in the list reach the provider.
   */
  registerAggregateFunction(key: string, options: AggregateEntryPointOptions): EntryPointInfo {
    this.#assertOpen();
    const checked = entryName('aggregateFunction', key, options.name);
    const ref = this.#host.surface('aggregateFunction', checked.key);
    const signature = aggregateSignature(checked.key, ref.unleasedProvider, options);
    return this.#register(
      new AggregateEntryPoint(checked.name, checked.key, ref, signature),
      [LIST(duckdbTypeOf(signature.parameters[0]!))],
      false,
    );
  }

  /**
   * Registers the table function `name(search VARCHAR)` (default `baton_search`), through which a
   * query reads the index searches it was run with: `run(sql, values, { searches: { nearest: {
   * index, query, k } } })` probes the managed index once when the query starts (an index answers
   * on one handle, across reloads), and `SELECT * FROM baton_search('nearest')` reads the answer.
   * DuckDB calls functions synchronously and a managed index answers asynchronously, so the probe
   * runs before the statement, not inside it.
   */
  registerSearchFunction(options: { readonly name?: string } = {}): { readonly name: string } {
    this.#assertOpen();
    const { name } = entryName('indexKind', options.name ?? 'baton_search', undefined);
    if (this.#searchFunctions.has(name))
      throw invalidRegistration('indexKind', `a search function named '${name}' is already registered`, name);
    const fn = searchTableFunction(name, (connectionId) => this.#connections.get(connectionId)?.scope);
    try {
      this.#registrar.registerTableFunction(fn);
    } catch (error) {
      throw duckdbError(error, { action: `register ${name}` });
    }
    this.#searchFunctions.add(name);
    return { name };
  }

  #register(entry: EntryPoint, parameterTypes: DuckDBType[], volatile: boolean): EntryPointInfo {
    if (this.#entries.has(entry.key))
      throw invalidRegistration(
        entry.kind,
        `an entry point named '${entry.key}' is already registered`,
        entry.surfaceKey,
      );
    const fn = DuckDBScalarFunction.create({
      name: entry.key,
      parameterTypes,
      returnType: duckdbTypeOf(entry.signature.returns),
      // NULLs reach the provider, which decides what they give.
      specialHandling: true,
      volatile,
      bindFunction: (info) => {
        this.#bind(entry, info);
      },
      mainFunction: (info, input, output) => {
        this.#main(entry, info, input, output);
      },
    });
    try {
      this.#registrar.registerScalarFunction(fn);
    } catch (error) {
      throw duckdbError(error, { action: `register ${entry.key}` });
    }
    this.#entries.set(entry.key, entry);
    return infoOf(entry);
  }

  /** The entry points registered so far. */
  entryPoints(): EntryPointInfo[] {
    return [...this.#entries.values()].map(infoOf);
  }

  /** A new connection whose queries may call the entry points. */
  async connect(): Promise<BatonConnection> {
    this.#assertOpen();
    const connection = new BatonConnection(await this.instance.connect(), this.#owner);
    this.#connections.set(connection.connectionId, connection);
    return connection;
  }

  /**
   * Closes every connection (after its queued queries), then the instance when the engine opened
   * it. Idempotent.
   */
  close(): Promise<void> {
    return (this.#closing ??= this.#close());
  }

  /** `await using` closes the engine. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #close(): Promise<void> {
    await Promise.allSettled([...this.#connections.values()].map((connection) => connection.close()));
    this.#registrar.disconnectSync();
    if (this.#ownsInstance) this.instance.closeSync();
  }

  #bind(entry: EntryPoint, info: DuckDBScalarFunctionBindInfo): void {
    const connection = this.#connections.get(String(info.clientContext.connectionId));
    if (connection === undefined) {
      info.setError(
        `${entry.key} is a Baton entry point: run the queries that call it on a BatonConnection (engine.connect())`,
      );
      return;
    }
    const binding: Binding = { connection };
    info.setBindData(binding);
  }

  #main(entry: EntryPoint, info: DuckDBScalarFunctionInfo, input: DuckDBDataChunk, output: DuckDBVector): void {
    const scope = (info.bindData as Binding | undefined)?.connection.scope;
    if (scope === undefined) {
      info.setError(`${entry.key}: called outside a query of its BatonConnection`);
      return;
    }
    try {
      entry.invokeChunk(scope, input, output);
    } catch (error) {
      const typed = toReloadError(error, { code: 'INTERNAL', phase: 'call', kind: entry.kind, key: entry.key });
      scope.fail(typed);
      info.setError(typed.message);
    }
  }

  #assertOpen(): void {
    if (this.#closing)
      throw new ReloadError({ code: 'RESOURCE_CLOSED', phase: 'call', message: 'the DuckDB engine is closed' });
  }
}

function infoOf(entry: EntryPoint): EntryPointInfo {
  const { parameters, returns } = entry.signature;
  const signature =
    entry.kind === 'aggregateFunction'
      ? `(${columnTypeName(parameters[0]!)}[]) → ${columnTypeName(returns)}`
      : signatureText(entry.signature);
  return { name: entry.key, kind: entry.kind, key: entry.surfaceKey, signature };
}
