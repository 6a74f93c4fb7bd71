// geo-search 2.0.0, compatible with 1.0.0: g-counter moves to its compact format 2 (a declared
// migration rewrites live state during the reload), a new scalar function `upper`, a new index
// kind `ordered`, and flat-vector indexes that accept larger probes.
import { join } from 'node:path';
import { definePlugin } from '@baton/core';
import {
  changeLogRetentionJob,
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

export default definePlugin({
  name: 'geo-search',
  version: '2.0.0',
  register(r) {
    const env = r.scope.resolve('baton.example.env');
    r.scalarFunction(lowerFunction());
    r.scalarFunction(upperFunction());
    r.scalarFunction(l2NormFunction());
    r.aggregateFunction(sumAggregate());
    r.indexKind(flatVectorIndex({ maxProbeResults: 1 << 25 }));
    r.indexKind(orderedIndex());
    r.cdcOutput(fileCdcOutput({ name: 'audit', directory: join(env.dataDirectory, 'cdc', 'audit') }));
    r.crdtKind(gCounter({ format: 2 }));
    r.crdtKind(orSet());
    r.logicalType(geoPointType());
    r.storageBackend(memoryStorageBackend({ store: env.store }));
    r.backgroundJob(changeLogRetentionJob({ log: env.changeLog, retainFrom: env.retainFrom, intervalMs: 200 }));
  },
});
