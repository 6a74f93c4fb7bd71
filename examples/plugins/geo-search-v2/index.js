// geo-search 2.0.0, compatible with 1.0.0: g-counter moves to its compact format 2 (a declared
// migration rewrites live state during the reload), a new scalar function `upper`, a new index
// kind `ordered`, and flat-vector indexes that accept larger probes.
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
  orderedIndex,
  sumAggregate,
  upperFunction,
} from '@baton/kinds';

const VERSION = '2.0.0';

export default definePlugin({
  name: 'geo-search',
  version: VERSION,
  async register(r) {
    const env = r.scope.resolve('baton.example.env');
    r.scalarFunction(lowerFunction());
    r.scalarFunction(upperFunction());
    r.scalarFunction(l2NormFunction());
    r.scalarFunction({
      name: 'plugin_version',
      argumentTypes: [new Int32()],
      returnType: new Utf8(),
      invoke: ([ids]) => vectorFromArray(new Array(ids.length).fill(VERSION), new Utf8()),
    });
    r.aggregateFunction(sumAggregate());
    r.indexKind(flatVectorIndex({ maxProbeResults: 1 << 25 }));
    r.indexKind(orderedIndex());
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
    r.crdtKind(gCounter({ format: 2 }));
    r.crdtKind(orSet());
    r.logicalType(geoPointType());
    r.backgroundJob({ name: 'state-checkpoint', intervalMs: 250, tick: () => env.checkpointState?.() });
  },
});
