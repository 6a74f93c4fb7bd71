/**
 * `@baton/kinds`: concrete, reload-safe kinds for Baton hosts — CRDTs, Arrow logical types, index
 * kinds, CDC outputs, and reference providers of the clean surfaces. See the package README for
 * what each kind persists and how it behaves on reload.
 *
 * @packageDocumentation
 */

// Codec shared by every persisted format
export { pack, packr, unpack } from './codec/packr.js';
export { DEFAULT_MAX_ENVELOPE_BYTES, decodeEnvelope, encodeEnvelope, peekEnvelope } from './codec/envelope.js';
export type { Envelope, EnvelopeExpectation } from './codec/envelope.js';
export { bodySchema } from './codec/bodySchema.js';
export type { BodySchema } from './codec/bodySchema.js';

// CRDT kinds: G-Counter (v1, v2), PN-Counter, LWW-Register, OR-Set, and the compat counterexamples
export { comparePrimitives, crdtLimits } from './crdt/primitive.js';
export { G_COUNTER, GCounterState } from './crdt/gCounterState.js';
export {
  G_COUNTER_V1_TO_V2,
  createGCounter,
  createGCounterV2,
  gCounter,
  gCounterV2,
  migrateGCounterV1ToV2,
} from './crdt/gCounter.js';
export { PN_COUNTER, PnCounterState } from './crdt/pnCounterState.js';
export { createPnCounter, pnCounter } from './crdt/pnCounter.js';
export { LWW_REGISTER, LwwRegisterState, compareWrites } from './crdt/lwwRegisterState.js';
export { createLwwRegister, lwwRegister } from './crdt/lwwRegister.js';
export { OR_SET, OrSetState } from './crdt/orSetState.js';
export { createOrSet, orSet } from './crdt/orSet.js';
export { lossyPnCounterV2, unmigratedGCounterV3 } from './crdt/counterexamples.js';
export type { CrdtPrimitive } from './crdt/primitive.js';
export type { CrdtProvider, CrdtProviderOptions } from './crdt/crdtProvider.js';
export type { GCounterOp } from './crdt/gCounterState.js';
export type { GCounterProvider } from './crdt/gCounter.js';
export type { PnCounterOp } from './crdt/pnCounterState.js';
export type { PnCounterProvider } from './crdt/pnCounter.js';
export type { LwwRegisterOp, LwwWrite } from './crdt/lwwRegisterState.js';
export type { LwwRegisterProvider } from './crdt/lwwRegister.js';
export type { OrSetOp } from './crdt/orSetState.js';
export type { OrSetProvider } from './crdt/orSet.js';

// Arrow logical (extension) types
export { defineLogicalType, DEFAULT_MAX_LITERAL_LENGTH } from './logicalType/defineLogicalType.js';
export { extensionField, extensionMetadataOf, extensionNameOf } from './logicalType/extensionField.js';
export { valuesOf, vectorOf } from './logicalType/logicalVector.js';
export { logicalTable } from './logicalType/logicalTable.js';
export { LogicalTypeRegistry } from './logicalType/logicalTypeRegistry.js';
export { logicalFieldsOf } from './logicalType/logicalFields.js';
export {
  ENCODING_VERSION_MEMBER,
  EXTENSION_METADATA_KEY,
  EXTENSION_NAME_KEY,
  readTypeMetadata,
  typeMetadata,
} from './logicalType/typeMetadata.js';
export { canonicalJson, jsonValueProblem, MAX_JSON_DEPTH } from './logicalType/canonicalJson.js';
export { uuidType } from './logicalType/uuidType.js';
export { jsonType, MAX_JSON_LITERAL_LENGTH } from './logicalType/jsonType.js';
export { GEO_POINT_CRS, formatWktPoint, geoPointProblem, parseWktPoint } from './logicalType/geoPoint.js';
export { geoPointStorageType, geoPointType } from './logicalType/geoPointType.js';
export { geoPointV2StorageType, geoPointV2Type } from './logicalType/geoPointV2Type.js';
export type { AnyLogicalType, LogicalType, LogicalTypeSpec, LogicalValueOf } from './logicalType/defineLogicalType.js';
export type { ResolveOptions, UnknownExtensionPolicy } from './logicalType/logicalTypeRegistry.js';
export type { LogicalField } from './logicalType/logicalFields.js';
export type { LogicalFieldProblem } from './logicalType/logicalTypeErrors.js';
export type { TypeMetadataDocument } from './logicalType/typeMetadata.js';
export type { JsonValue } from './logicalType/canonicalJson.js';
export type { GeoPoint } from './logicalType/geoPoint.js';

// Index kinds
export { flatVectorIndexKind } from './indexKind/flatVectorKind.js';
export { FlatVectorIndex, FLAT_VECTOR_FORMAT_VERSION, VECTOR_QUERY_COLUMN } from './indexKind/flatVectorIndex.js';
export { orderedIndexKind } from './indexKind/orderedKind.js';
export { OrderedIndex, ORDERED_FORMAT_VERSION } from './indexKind/orderedIndex.js';
export {
  DEFAULT_MAX_INDEX_BYTES,
  DEFAULT_MAX_PROBE_RESULTS,
  FLAT_VECTOR_KIND,
  MAX_VECTOR_DIM,
  ORDERED_KIND,
} from './indexKind/indexLimits.js';
export { vectorMetrics } from './indexKind/vectorMetric.js';
export type {
  FlatVectorBuildParams,
  FlatVectorIndexKind,
  FlatVectorIndexKindOptions,
} from './indexKind/flatVectorKind.js';
export type { OrderedIndexKind, OrderedIndexKindOptions } from './indexKind/orderedKind.js';
export type { VectorMetric } from './indexKind/vectorMetric.js';
export type { KeyFamily } from './indexKind/orderedKeys.js';

// CDC outputs
export { ChangeLog } from './cdc/changeLog.js';
export { fileCdcOutput } from './cdc/fileCdcOutput.js';
export { readFileSink } from './cdc/readFileSink.js';
export { CHECKPOINT_FILE, SINK_FILE } from './cdc/fileCheckpoint.js';
export { callbackCdcOutput } from './cdc/callbackCdcOutput.js';
export { CdcPosition } from './cdc/cdcPosition.js';
export { CdcChannel } from './cdc/cdcChannel.js';
export { MAX_LSN } from './cdc/batchCheck.js';
export type { ChangeLogOptions } from './cdc/changeLog.js';
export type { FileCdcOutput, FileCdcOutputOptions } from './cdc/fileCdcOutput.js';
export type { FileCdcStream } from './cdc/fileCdcStream.js';
export type { FileCheckpoint } from './cdc/fileCheckpoint.js';
export type { FileCdcRecovery } from './cdc/sinkReconcile.js';
export type { FileSinkContents, ReadFileSinkOptions } from './cdc/readFileSink.js';
export type { CallbackCdcOutput, CallbackCdcOutputOptions } from './cdc/callbackCdcOutput.js';
export type { CdcPositionOwner, CdcPositionState } from './cdc/cdcPosition.js';
export type { CdcChannelOptions } from './cdc/cdcChannel.js';

// Clean-surface reference providers
export { lowerFunction, upperFunction } from './clean/utf8Case.js';
export { l2NormFunction } from './clean/l2Norm.js';
export { meanAggregate, sumAggregate } from './clean/float64Aggregates.js';
export { MemoryStore } from './clean/memoryStore.js';
export { memoryStorageBackend } from './clean/memoryStorageBackend.js';
export { storageStatsJob } from './clean/storageStatsJob.js';
export { changeLogRetentionJob } from './clean/changeLogRetentionJob.js';
export type { Utf8CaseOptions } from './clean/utf8Case.js';
export type { L2NormOptions } from './clean/l2Norm.js';
export type { Float64AggregateOptions, Float64SumState } from './clean/float64Aggregates.js';
export type { ExactSum } from './clean/exactSum.js';
export type { MemoryLocation, MemoryStoreLike } from './clean/memoryStore.js';
export type { MemoryStorageBackendOptions } from './clean/memoryStorageBackend.js';
export type { LocationStats, StorageStatsJobOptions, StorageStatsReport } from './clean/storageStatsJob.js';
export type { ChangeLogRetentionJobOptions } from './clean/changeLogRetentionJob.js';
