/**
 * `@baton/kinds`: concrete, reload-safe kinds for Baton hosts — CRDTs, Arrow logical types, index
 * kinds, CDC outputs, and reference providers of the clean surfaces. See the package README for
 * what each kind persists and how it behaves on reload.
 *
 * Every kind is made by a lowercase factory named after it that takes an options object
 * (`gCounter({ format: 2 })`, `flatVectorIndex()`, `fileCdcOutput({ name, directory })`); each call
 * makes a new provider. The persisted-format kit (envelope, msgpack, body schemas) is
 * `@baton/kinds/codec`; the file sink's layout is `@baton/kinds/cdc`.
 *
 * @packageDocumentation
 */

// CRDT kinds
export { gCounter } from './crdt/gCounter.js';
export { pnCounter } from './crdt/pnCounter.js';
export { lwwRegister } from './crdt/lwwRegister.js';
export { orSet } from './crdt/orSet.js';
export { G_COUNTER, GCounterState } from './crdt/gCounterState.js';
export { PN_COUNTER, PnCounterState } from './crdt/pnCounterState.js';
export { LWW_REGISTER, LwwRegisterState } from './crdt/lwwRegisterState.js';
export { OR_SET, OrSetState } from './crdt/orSetState.js';
export { crdtLimits } from './crdt/primitive.js';
export type { CrdtPrimitive } from './crdt/primitive.js';
export type { CrdtProvider, CrdtProviderOptions } from './crdt/crdtProvider.js';
export type { GCounterOptions, GCounterProvider } from './crdt/gCounter.js';
export type { GCounterOp } from './crdt/gCounterState.js';
export type { PnCounterProvider } from './crdt/pnCounter.js';
export type { PnCounterOp } from './crdt/pnCounterState.js';
export type { LwwRegisterProvider } from './crdt/lwwRegister.js';
export type { LwwRegisterOp, LwwWrite } from './crdt/lwwRegisterState.js';
export type { OrSetProvider } from './crdt/orSet.js';
export type { OrSetOp } from './crdt/orSetState.js';

// Arrow logical (extension) types
export { uuidType } from './logicalType/uuidType.js';
export { jsonType } from './logicalType/jsonType.js';
export { geoPointType } from './logicalType/geoPointType.js';
export { defineLogicalType } from './logicalType/defineLogicalType.js';
export { extensionField, extensionMetadataOf, extensionNameOf } from './logicalType/extensionField.js';
export { valuesOf, vectorOf } from './logicalType/logicalVector.js';
export { logicalTable } from './logicalType/logicalTable.js';
export { LogicalTypeRegistry } from './logicalType/logicalTypeRegistry.js';
export { logicalFieldsOf } from './logicalType/logicalFields.js';
export type { AnyLogicalType, LogicalType, LogicalTypeSpec, LogicalValueOf } from './logicalType/defineLogicalType.js';
export type { GeoPointTypeOptions } from './logicalType/geoPointType.js';
export type { GeoPoint } from './logicalType/geoPoint.js';
export type { JsonValue } from './logicalType/canonicalJson.js';
export type { ResolveOptions, UnknownExtensionPolicy } from './logicalType/logicalTypeRegistry.js';
export type { LogicalField } from './logicalType/logicalFields.js';
export type { LogicalFieldProblem } from './logicalType/logicalTypeErrors.js';

// Index kinds
export { flatVectorIndex } from './indexKind/flatVectorIndex.js';
export { orderedIndex } from './indexKind/orderedIndex.js';
export { FlatVectorIndexHandle } from './indexKind/flatVectorIndexHandle.js';
export { OrderedIndexHandle } from './indexKind/orderedIndexHandle.js';
export { FLAT_VECTOR_KIND, ORDERED_KIND } from './indexKind/indexLimits.js';
export { vectorMetrics } from './indexKind/vectorMetric.js';
export type {
  FlatVectorBuildParams,
  FlatVectorIndexOptions,
  FlatVectorIndexProvider,
} from './indexKind/flatVectorIndex.js';
export type { OrderedIndexOptions, OrderedIndexProvider } from './indexKind/orderedIndex.js';
export type { VectorMetric } from './indexKind/vectorMetric.js';

// CDC outputs and the host's change log
export { fileCdcOutput } from './cdc/fileCdcOutput.js';
export { callbackCdcOutput } from './cdc/callbackCdcOutput.js';
export { readFileSink } from './cdc/readFileSink.js';
export { ChangeLog } from './cdc/changeLog.js';
export { CdcPosition } from './cdc/cdcPosition.js';
export { CdcChannel } from './cdc/cdcChannel.js';
export type { FileCdcOutput, FileCdcOutputOptions } from './cdc/fileCdcOutput.js';
export type { FileCdcStream } from './cdc/fileCdcStream.js';
export type { FileCheckpoint } from './cdc/fileCheckpoint.js';
export type { FileCdcRecovery } from './cdc/sinkReconcile.js';
export type { FileSinkContents, ReadFileSinkOptions } from './cdc/readFileSink.js';
export type { CallbackCdcOutput, CallbackCdcOutputOptions } from './cdc/callbackCdcOutput.js';
export type { ChangeLogOptions } from './cdc/changeLog.js';
export type { CdcPositionOwner, CdcPositionState } from './cdc/cdcPosition.js';
export type { CdcChannelOptions } from './cdc/cdcChannel.js';

// Clean-surface reference providers
export { lowerFunction, upperFunction } from './clean/utf8Case.js';
export { l2NormFunction } from './clean/l2Norm.js';
export { meanAggregate, sumAggregate } from './clean/float64Aggregates.js';
export { memoryStorageBackend } from './clean/memoryStorageBackend.js';
export { checkStorageKey, checkStorageValue, storageLimits } from './clean/storageRules.js';
export { MemoryStore } from './clean/memoryStore.js';
export { storageStatsJob } from './clean/storageStatsJob.js';
export { changeLogRetentionJob } from './clean/changeLogRetentionJob.js';
export type { Utf8CaseOptions } from './clean/utf8Case.js';
export type { L2NormOptions } from './clean/l2Norm.js';
export type { Float64AggregateOptions, Float64SumState } from './clean/float64Aggregates.js';
export type { ExactSum } from './clean/exactSum.js';
export type { MemoryStorageBackendOptions } from './clean/memoryStorageBackend.js';
export type { StorageFail, StorageLimits } from './clean/storageRules.js';
export type { MemoryLocation, MemoryStoreLike } from './clean/memoryStore.js';
export type { LocationStats, StorageStatsJobOptions, StorageStatsReport } from './clean/storageStatsJob.js';
export type { ChangeLogRetentionJobOptions } from './clean/changeLogRetentionJob.js';
