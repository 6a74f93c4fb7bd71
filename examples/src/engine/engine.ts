import 'reflect-metadata';
import { join } from 'node:path';
import { container } from 'tsyringe';
import { Float64, Utf8, vectorFromArray } from 'apache-arrow';
import type { RecordBatch, Table } from 'apache-arrow';
import { createPluginHost } from '@baton/core';
import type {
  ManagedCdcStream,
  ManagedCrdt,
  ManagedIndex,
  ManagedStorage,
  PluginDefinition,
  PluginHost,
  ReloadOptions,
  ReloadResult,
} from '@baton/core';
import { ChangeLog, MemoryStore, readFileSink } from '@baton/kinds';
import type { GeoPoint, GCounterOp, LogicalType, OrSetOp } from '@baton/kinds';
import { placesTable, queryBatch } from './places.js';
import type { Place } from './places.js';

/** What plugins resolve from the host's container as `baton.example.env`. */
export interface EngineEnv {
  readonly dataDirectory: string;
  readonly store: MemoryStore;
  readonly changeLog: ChangeLog;
  readonly retainFrom: () => bigint | undefined;
}

/** Options of an {@link Engine}. */
export interface EngineOptions {
  readonly dataDirectory: string;
  /** Embedding dimensions (default 32). */
  readonly dim?: number;
  readonly drainTimeoutMs?: number;
}

/** What the audit sink holds compared with what the engine committed. */
export interface AuditCheck {
  readonly committed: number;
  readonly inSink: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly checkpointLsn: bigint | undefined;
}

/**
 * A small embedded data engine written on Baton: an in-memory Arrow `places` table whose writes go
 * to a change log and on to a CDC output; a vector index over the embeddings; CRDT counters and
 * sets; scalar and aggregate functions; a logical-type column; a storage backend and a background
 * job — every one of them provided by a plugin that can be reloaded while the engine serves.
 */
export class Engine {
  readonly host: PluginHost;
  readonly env: EngineEnv;
  readonly dim: number;
  readonly batches: Table[] = [];
  /** LSN ranges of every committed write, in order (the change log itself is compacted). */
  readonly ledger: string[] = [];
  #index: ManagedIndex | undefined;
  #audit: ManagedCdcStream | undefined;
  #visits: ManagedCrdt<GCounterOp, number> | undefined;
  #tags: ManagedCrdt<OrSetOp, unknown[]> | undefined;
  #meta: ManagedStorage | undefined;
  #durable: bigint | undefined;

  constructor(readonly options: EngineOptions) {
    this.dim = options.dim ?? 32;
    this.env = {
      dataDirectory: options.dataDirectory,
      store: new MemoryStore(),
      changeLog: new ChangeLog(),
      retainFrom: () => this.#durable,
    };
    const scope = container.createChildContainer();
    scope.register('baton.example.env', { useValue: this.env });
    this.host = createPluginHost({ container: scope, runJobs: true, drainTimeoutMs: options.drainTimeoutMs ?? 2_000 });
  }

  /** Loads the first plugin version and opens every managed resource over `places`. */
  async start(plugin: PluginDefinition, places: readonly Place[]): Promise<void> {
    await this.host.load(plugin);
    const table = placesTable(places, this.dim, this.geoType());
    this.batches.push(table);
    this.#index = await this.host.openIndex({
      name: 'places.embedding',
      key: 'flat-vector',
      source: table,
      column: 'embedding',
      params: { metric: 'cosine' },
    });
    this.#audit = await this.host.startCdc({ name: 'audit', key: 'audit', fromLsn: 0n });
    this.#visits = await this.host.openCrdt<GCounterOp, number>({ name: 'visits', key: 'g-counter' });
    this.#tags = await this.host.openCrdt<OrSetOp, unknown[]>({ name: 'tags', key: 'or-set' });
    this.#meta = await this.host.openStorage({ name: 'meta', key: 'memory', location: 'meta' });
  }

  /** The geo point logical type the serving plugin registers. */
  geoType(): LogicalType<GeoPoint> {
    const type = this.host.unleasedProvider('logicalType', 'baton.geo.point');
    if (!type) throw new Error('no plugin provides the baton.geo.point logical type');
    return type as LogicalType<GeoPoint>;
  }

  /** Inserts places: appends to the table and the change log, and delivers the change to the CDC output. */
  async insert(places: readonly Place[]): Promise<void> {
    const table = placesTable(places, this.dim, this.geoType());
    this.batches.push(table);
    for (const batch of table.batches) {
      const change = this.env.changeLog.append(batch);
      this.ledger.push(`${change.lsnStart}-${change.lsnEnd}`);
      await this.audit.deliver(change); // deliveries are ordered by call: no await between append and deliver
    }
  }

  /** The `k` places nearest to `vector` (cosine), through the managed index. */
  nearest(vector: Float32Array, k: number): Promise<RecordBatch> {
    return this.index.probe(queryBatch([vector], this.dim), k);
  }

  /** `lower(names)` through the serving plugin's scalar function. */
  async lower(names: readonly string[]): Promise<string[]> {
    const out = await this.host.call('scalarFunction', 'lower', (f) =>
      f.invoke([vectorFromArray([...names], new Utf8())]),
    );
    return Array.from(out.toArray() as Iterable<string>);
  }

  /** `sum(values)` through the serving plugin's aggregate function. */
  sum(values: readonly number[]): Promise<unknown> {
    return this.host.call('aggregateFunction', 'sum', async (agg) =>
      agg.finish(await agg.update(await agg.init(), [vectorFromArray([...values], new Float64())])),
    );
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

  /** Records a key in the metadata storage. */
  note(key: string, value: string): Promise<void> {
    return this.meta.put(key, new TextEncoder().encode(value));
  }

  /** Makes the audit sink durable; the retention job may then compact the change log before it. */
  async checkpoint(): Promise<bigint> {
    const lsn = await this.audit.checkpoint();
    this.#durable = lsn;
    return lsn;
  }

  /** Reloads the plugin. */
  reload(plugin: PluginDefinition, options: ReloadOptions = {}): Promise<ReloadResult> {
    return this.host.reload(plugin, options);
  }

  /** Values of the CRDTs. */
  async crdtValues(): Promise<{ visits: number; tags: number }> {
    return { visits: await this.visits.value(), tags: (await this.tags.value()).length };
  }

  /** Reads the audit sink back from disk and compares it with every committed write. */
  async auditCheck(): Promise<AuditCheck> {
    await this.checkpoint();
    const sink = await readFileSink(join(this.options.dataDirectory, 'cdc', 'audit'));
    const seen = new Map<string, number>();
    for (const b of sink.batches)
      seen.set(`${b.lsnStart}-${b.lsnEnd}`, (seen.get(`${b.lsnStart}-${b.lsnEnd}`) ?? 0) + 1);
    const lost = this.ledger.filter((range) => !seen.has(range)).length;
    const duplicated = [...seen.values()].reduce((n, count) => n + count - 1, 0);
    return {
      committed: this.ledger.length,
      inSink: sink.batches.length,
      lost,
      duplicated,
      checkpointLsn: sink.checkpointLsn,
    };
  }

  /** Closes the host (checkpoints the CDC stream, closes the index and storage, unloads). */
  close(): Promise<void> {
    return this.host.close();
  }

  get index(): ManagedIndex {
    return required(this.#index, 'index');
  }

  get audit(): ManagedCdcStream {
    return required(this.#audit, 'audit stream');
  }

  get visits(): ManagedCrdt<GCounterOp, number> {
    return required(this.#visits, 'visits counter');
  }

  get tags(): ManagedCrdt<OrSetOp, unknown[]> {
    return required(this.#tags, 'tags set');
  }

  get meta(): ManagedStorage {
    return required(this.#meta, 'metadata storage');
  }
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`the engine has no ${what}: call start() first`);
  return value;
}
