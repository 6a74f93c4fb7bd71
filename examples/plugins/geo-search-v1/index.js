// geo-search 1.0.0: the engine's first extension plugin. Shipped as a signed artifact; the host
// verifies every file before importing this module.
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
  sumAggregate,
} from '@baton/kinds';

export default definePlugin({
  name: 'geo-search',
  version: '1.0.0',
  register(r) {
    // Host services come from the host's tsyringe container, through this version's own scope.
    const env = r.scope.resolve('baton.example.env');
    r.scalarFunction(lowerFunction());
    r.scalarFunction(l2NormFunction());
    r.aggregateFunction(sumAggregate());
    r.indexKind(flatVectorIndex());
    r.cdcOutput(fileCdcOutput({ name: 'audit', directory: join(env.dataDirectory, 'cdc', 'audit') }));
    r.crdtKind(gCounter());
    r.crdtKind(orSet());
    r.logicalType(geoPointType());
    r.storageBackend(memoryStorageBackend({ store: env.store }));
    r.backgroundJob(changeLogRetentionJob({ log: env.changeLog, retainFrom: env.retainFrom, intervalMs: 200 }));
  },
});
