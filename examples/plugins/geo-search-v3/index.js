// geo-search 3.0.0, INCOMPATIBLE: the geo point logical type changes its storage type
// (FixedSizeList<Float64>[2] → Struct<lon, lat>) and g-counter changes its encoding without a
// migration (a deliberately broken provider from @baton/testing). A reload to it is refused before
// anything pauses; 2.0.0 keeps serving.
import { join } from 'node:path';
import { Int32, Utf8, vectorFromArray } from 'apache-arrow';
import { definePlugin } from '@baton/core';
import { duckdbStorageBackend } from '@baton/duckdb';
import {
  fileCdcOutput,
  flatVectorIndex,
  geoPointType,
  l2NormFunction,
  lowerFunction,
  memoryStorageBackend,
  orSet,
  orderedIndex,
  sumAggregate,
  upperFunction,
} from '@baton/kinds';
import { postgresCdcOutput } from '@baton/postgres';
import { brokenCrdts } from '@baton/testing';

const VERSION = '3.0.0';

export default definePlugin({
  name: 'geo-search',
  version: VERSION,
  register(r) {
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
    r.cdcOutput(
      env.sinkUrl
        ? postgresCdcOutput({ name: 'audit', url: env.sinkUrl, schema: env.sinkSchema })
        : fileCdcOutput({ name: 'audit', directory: join(env.dataDirectory, 'cdc', 'audit') }),
    );
    r.storageBackend(
      env.duckdb
        ? duckdbStorageBackend({ name: 'kv', instance: env.duckdb })
        : memoryStorageBackend({ name: 'kv', store: env.store }),
    );
    r.crdtKind(brokenCrdts.unmigratedGCounter());
    r.crdtKind(orSet());
    r.logicalType(geoPointType({ version: 2 }));
    r.backgroundJob({ name: 'state-checkpoint', intervalMs: 250, tick: () => env.checkpointState?.() });
  },
});
