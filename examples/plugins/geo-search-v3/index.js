// geo-search 3.0.0, INCOMPATIBLE: the geo point logical type changes its storage type
// (FixedSizeList<Float64>[2] → Struct<lon, lat>) and g-counter changes its encoding without a
// migration (a deliberately broken provider from @baton/testing). A reload to it is refused before
// anything pauses; 2.0.0 keeps serving.
import { join } from 'node:path';
import { definePlugin } from '@baton/core';
import {
  changeLogRetentionJob,
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
import { brokenCrdts } from '@baton/testing';

export default definePlugin({
  name: 'geo-search',
  version: '3.0.0',
  register(r) {
    const env = r.scope.resolve('baton.example.env');
    r.scalarFunction(lowerFunction());
    r.scalarFunction(upperFunction());
    r.scalarFunction(l2NormFunction());
    r.aggregateFunction(sumAggregate());
    r.indexKind(flatVectorIndex({ maxProbeResults: 1 << 25 }));
    r.indexKind(orderedIndex());
    r.cdcOutput(fileCdcOutput({ name: 'audit', directory: join(env.dataDirectory, 'cdc', 'audit') }));
    r.crdtKind(brokenCrdts.unmigratedGCounter());
    r.crdtKind(orSet());
    r.logicalType(geoPointType({ version: 2 }));
    r.storageBackend(memoryStorageBackend({ store: env.store }));
    r.backgroundJob(changeLogRetentionJob({ log: env.changeLog, retainFrom: env.retainFrom, intervalMs: 200 }));
  },
});
