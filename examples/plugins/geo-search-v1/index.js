// geo-search 1.0.0: the engine's first extension plugin. Shipped as a signed artifact; the host
// verifies every file before importing this module. It imports what the engine's package installs
// (@baton/*, apache-arrow): the host imports it from a runtime directory inside that package.
import { join } from 'node:path';
import { Int32, Utf8, vectorFromArray } from 'apache-arrow';
import { definePlugin } from '@baton/core';
import {
  fileCdcOutput,
  flatVectorIndex,
  gCounter,
  geoPointType,
  l2NormFunction,
  lowerFunction,
  memoryStorageBackend,
  orSet,
  sumAggregate,
} from '@baton/kinds';

const VERSION = '1.0.0';

export default definePlugin({
  name: 'geo-search',
  version: VERSION,
  async register(r) {
    // Host services come from the host's tsyringe container, through this version's own scope.
    const env = r.scope.resolve('baton.example.env');
    r.scalarFunction(lowerFunction());
    r.scalarFunction(l2NormFunction());
    // plugin_version(id) → this version, for every row: a query records which version computed it.
    r.scalarFunction({
      name: 'plugin_version',
      argumentTypes: [new Int32()],
      returnType: new Utf8(),
      invoke: ([ids]) => vectorFromArray(new Array(ids.length).fill(VERSION), new Utf8()),
    });
    r.aggregateFunction(sumAggregate());
    r.indexKind(flatVectorIndex());
    // The audit stream goes into PostgreSQL tables (env.sinkUrl) and the storage into DuckDB
    // (env.duckdb); their adapters load only in an engine that has them. An engine without (the
    // project's crash trials, `baton inspect`) gets a file sink and a memory store, under the same keys.
    if (env.sinkUrl) {
      const { postgresCdcOutput } = await import('@baton/postgres');
      r.cdcOutput(postgresCdcOutput({ name: 'audit', url: env.sinkUrl, schema: env.sinkSchema }));
    } else r.cdcOutput(fileCdcOutput({ name: 'audit', directory: join(env.dataDirectory, 'cdc', 'audit') }));
    if (env.duckdb) {
      const { duckdbStorageBackend } = await import('@baton/duckdb');
      r.storageBackend(duckdbStorageBackend({ name: 'kv', instance: env.duckdb }));
    } else r.storageBackend(memoryStorageBackend({ name: 'kv', store: env.store }));
    r.crdtKind(gCounter());
    r.crdtKind(orSet());
    r.logicalType(geoPointType());
    // Saves the engine's CRDT states (into DuckDB) every 250 ms, on whichever version serves.
    r.backgroundJob({ name: 'state-checkpoint', intervalMs: 250, tick: () => env.checkpointState?.() });
  },
});
