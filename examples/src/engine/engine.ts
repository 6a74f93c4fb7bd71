import 'reflect-metadata';
import { join } from 'node:path';
import { container } from 'tsyringe';
import { DOUBLE, DuckDBInstance, INTEGER, VARCHAR } from '@duckdb/node-api';
import { createPluginHost } from '@baton/core';
import type {
  ManagedCdcStream,
  ManagedCrdt,
  ManagedIndex,
  ManagedStorage,
  PluginDefinition,
  PluginHost,
} from '@baton/core';
import { BatonDuckDB, CrdtStateTable } from '@baton/duckdb';
import type { BatonConnection } from '@baton/duckdb';
import { MemoryStore } from '@baton/kinds';
import type { GeoPoint, GCounterOp, LogicalType, OrSetOp } from '@baton/kinds';
import { loadPlaces } from './duckdbPlaces.js';
import { placesTable } from './places.js';
import type { Place } from './places.js';

/** What plugins resolve from the host's container as `baton.example.env`. */
export interface EngineEnv {
  readonly dataDirectory: string;
  /** The PostgreSQL database of the audit CDC sink (`postgresCdcOutput`). */
  readonly sinkUrl?: string;
  /** The schema of the sink's tables there (default `public`). */
  readonly sinkSchema?: string;
  /** The engine's DuckDB database (`duckdbStorageBackend`). */
  readonly duckdb?: DuckDBInstance;
  /** Storage for plugins in an engine without DuckDB. */
  readonly store: MemoryStore;
  /** Saves the engine's CRDT states; the plugin's `state-checkpoint` job calls it. */
  readonly checkpointState?: () => Promise<void>;
}

/** Options of {@link Engine.open}. */
export interface EngineOptions {
  /** Where the DuckDB database file (`engine.duckdb`) goes. */
  readonly dataDirectory: string;
  /** The PostgreSQL database the audit CDC output writes into. */
  readonly sinkUrl: string;
  /** The schema of the sink's tables (default `public`). */
  readonly sinkSchema?: string;
  /** Embedding dimensions (default 32). */
  readonly dim?: number;
  readonly drainTimeoutMs?: number;
}

/**
 * A small data engine written on Baton, with DuckDB as its query engine: a `places` table in DuckDB
 * that queries read with the plugin's functions (`plugin_lower`, `plugin_sum`, `plugin_version`) and
 * its vector index (`baton_search`); CRDT counters and sets saved in a DuckDB table; a storage backend
 * in DuckDB; a CDC stream into PostgreSQL — every one of them provided by a plugin that can be
 * reloaded while the engine serves.
 */
export class Engine implements AsyncDisposable {
  /** The services plugins resolve as `baton.example.env`. */
  readonly env: EngineEnv;
  /** Embedding dimensions of the places and the vector index. */
  readonly dim: number;
  #index: ManagedIndex | undefined;
  #audit: ManagedCdcStream | undefined;
  #visits: ManagedCrdt<GCounterOp, number> | undefined;
  #tags: ManagedCrdt<OrSetOp, unknown[]> | undefined;
  #kv: ManagedStorage | undefined;
  #closing: Promise<void> | undefined;

  private constructor(
    /** The plugin host: loads, reloads and serves the plugin. */
    readonly host: PluginHost,
    /** DuckDB with the plugin's entry points; `duckdb.instance` is the database. */
    readonly duckdb: BatonDuckDB,
    /** Where the CRDT states are saved (a DuckDB table). */
    readonly states: CrdtStateTable,
    env: EngineEnv,
    dim: number,
  ) {
    this.env = env;
    this.dim = dim;
  }

  /** Opens the engine's DuckDB database (in `dataDirectory`) and its plugin host; no plugin yet. */
  static async open(options: EngineOptions): Promise<Engine> {
    const instance = await DuckDBInstance.create(join(options.dataDirectory, 'engine.duckdb'));
    const created: { engine?: Engine } = {};
    const env: EngineEnv = {
      dataDirectory: options.dataDirectory,
      sinkUrl: options.sinkUrl,
      ...(options.sinkSchema === undefined ? {} : { sinkSchema: options.sinkSchema }),
      duckdb: instance,
      store: new MemoryStore(),
      checkpointState: () => created.engine?.checkpointState() ?? Promise.resolve(),
    };
    const scope = container.createChildContainer();
    scope.register('baton.example.env', { useValue: env });
    const host = createPluginHost({ container: scope, runJobs: true, drainTimeoutMs: options.drainTimeoutMs ?? 2_000 });
    try {
      const duckdb = await BatonDuckDB.open({ host, instance });
      const states = await CrdtStateTable.open({ instance });
      created.engine = new Engine(host, duckdb, states, env, options.dim ?? 32);
      return created.engine;
    } catch (error) {
      await host.close();
      instance.closeSync();
      throw error;
    }
  }

  /**
   * Loads the first plugin version, registers its functions as DuckDB entry points, loads `places`
   * into DuckDB and the vector index, and opens the CRDTs (from DuckDB) and the storage.
   */
  async start(plugin: PluginDefinition, places: readonly Place[]): Promise<void> {
    await this.host.load(plugin);
    this.duckdb.registerScalarFunction('lower', { name: 'plugin_lower' });
    this.duckdb.registerScalarFunction('plugin_version', { parameterTypes: [INTEGER], returnType: VARCHAR });
    this.duckdb.registerAggregateFunction('sum', { name: 'plugin_sum', elementType: DOUBLE });
    this.duckdb.registerSearchFunction();
    await loadPlaces(this.duckdb.instance, places);
    this.#index = await this.host.openIndex({
      name: 'places.embedding',
      key: 'flat-vector',
      source: placesTable(places, this.dim, this.geoType()),
      column: 'embedding',
      params: { metric: 'cosine' },
    });
    this.#visits = await this.states.open<GCounterOp, number>(this.host, { name: 'visits', key: 'g-counter' });
    this.#tags = await this.states.open<OrSetOp, unknown[]>(this.host, { name: 'tags', key: 'or-set' });
    this.#kv = await this.host.openStorage({ name: 'notes', key: 'kv', location: 'notes' });
  }

  /**
   * Starts the audit CDC stream (the plugin's output) at `fromLsn`: the position of the change source
   * it will be fed from, so the sink's checkpoint says from the start how far it is complete.
   */
  async startAudit(fromLsn: bigint): Promise<ManagedCdcStream> {
    this.#audit = await this.host.startCdc({ name: 'audit', key: 'audit', fromLsn });
    return this.#audit;
  }

  /** The geo point logical type the serving plugin registers. */
  geoType(): LogicalType<GeoPoint> {
    const type = this.host.unleasedProvider('logicalType', 'baton.geo.point');
    if (!type) throw new Error('no plugin provides the baton.geo.point logical type');
    return type as LogicalType<GeoPoint>;
  }

  /** A DuckDB connection whose queries call the plugin's functions (one query at a time per connection). */
  connect(): Promise<BatonConnection> {
    return this.duckdb.connect();
  }

  /** Counts visits at this replica. */
  visit(replica: string, by: number): Promise<void> {
    return this.visits.apply({ replica, by });
  }

  /** Merges another replica's visit counter (its bytes made by the serving version). */
  async mergeVisits(replica: string, by: number): Promise<void> {
    const bytes = await this.host.call('crdtKind', 'g-counter', async (kind) => {
      const remote = await kind.empty();
      await remote.apply({ replica, by });
      return remote.persist();
    });
    await this.visits.merge(bytes);
  }

  /** Adds a tag at this replica. */
  tag(replica: string, tag: string): Promise<void> {
    return this.tags.apply({ replica, add: tag });
  }

  /** Records a note in the plugin's storage (a DuckDB table). */
  note(key: string, value: string): Promise<void> {
    return this.kv.put(key, new TextEncoder().encode(value));
  }

  /** Saves both CRDT states into DuckDB (the plugin's job does it every 250 ms). */
  async checkpointState(): Promise<void> {
    if (this.#closing || !this.#visits || !this.#tags) return;
    await this.states.checkpoint(this.#visits);
    await this.states.checkpoint(this.#tags);
  }

  /** Values of the CRDTs: live, and as saved in DuckDB (read back by the serving version). */
  async crdtValues(): Promise<{ visits: number; tags: number; savedVisits: number; savedTags: number }> {
    await this.checkpointState();
    const saved = async (name: string, key: string): Promise<unknown> => {
      const state = await this.states.load(name);
      if (!state) return undefined;
      return this.host.call('crdtKind', key, async (kind) => (await kind.fromPersisted(state.bytes)).value());
    };
    return {
      visits: await this.visits.value(),
      tags: (await this.tags.value()).length,
      savedVisits: (await saved('visits', 'g-counter')) as number,
      savedTags: ((await saved('tags', 'or-set')) as unknown[]).length,
    };
  }

  /** Closes DuckDB (its connections after their queries) and the host (checkpoints the CDC stream, unloads). Idempotent. */
  close(): Promise<void> {
    return (this.#closing ??= (async () => {
      try {
        await this.states.close();
        await this.duckdb.close();
        await this.host.close();
      } finally {
        this.duckdb.instance.closeSync(); // DuckDB checkpoints its WAL into the database file
      }
    })());
  }

  /** `await using` closes the engine. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** The vector index over the places' embeddings (the plugin's `flat-vector` kind). */
  get index(): ManagedIndex {
    return required(this.#index, 'index');
  }

  /** The audit CDC stream: what the PostgreSQL change source is pumped into. */
  get audit(): ManagedCdcStream {
    return required(this.#audit, 'audit stream');
  }

  /** The visit counter (a `g-counter`, saved in DuckDB). */
  get visits(): ManagedCrdt<GCounterOp, number> {
    return required(this.#visits, 'visits counter');
  }

  /** The set of tags (an `or-set`, saved in DuckDB). */
  get tags(): ManagedCrdt<OrSetOp, unknown[]> {
    return required(this.#tags, 'tags set');
  }

  /** The notes storage (the plugin's `kv` backend: a DuckDB table). */
  get kv(): ManagedStorage {
    return required(this.#kv, 'notes storage');
  }
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`the engine has no ${what}: call start() first`);
  return value;
}
