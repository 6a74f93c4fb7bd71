/**
 * `@baton/core`: hot-reload data-engine plugins without a failed call, without losing index or
 * CRDT state, and without losing or duplicating a CDC event.
 *
 * The discipline table (each built-in surface kind and what a reload does with it) is kept in
 * `packages/core/README.md` and in {@link disciplineTable}; a test checks they agree and the type of
 * {@link builtinDisciplines} checks the code agrees with the table.
 *
 * @packageDocumentation
 */

// Errors
export { ReloadError, isReloadError, toReloadError } from './errors/reloadError.js';
export { isProviderCode, reloadErrorCodes, reloadPhases } from './errors/codes.js';
export type { ReloadErrorInit } from './errors/reloadError.js';
export type { ReloadErrorCode, ReloadPhase } from './errors/codes.js';

// Surface contracts
export { builtinKinds } from './surfaces/surfaceMap.js';
export type { AggregateFunctionProvider, ScalarFunctionProvider } from './surfaces/functions.js';
export type { Storage, StorageBackendProvider, StorageOpenOptions } from './surfaces/storage.js';
export type { BackgroundJobProvider, JobTickContext } from './surfaces/backgroundJob.js';
export type { IndexBuildOptions, IndexHandle, IndexKindProvider } from './surfaces/indexKind.js';
export type { CdcBatch, CdcOutputProvider, CdcStartOptions, CdcStream } from './surfaces/cdcOutput.js';
export type { CrdtKindProvider, CrdtState } from './surfaces/crdtKind.js';
export type { LogicalTypeProvider } from './surfaces/logicalType.js';
export type {
  BuiltinKind,
  BuiltinResources,
  BuiltinSurfaces,
  CustomSurfaces,
  ProviderOf,
  ResourceOf,
  SurfaceKind,
  SurfaceMap,
} from './surfaces/surfaceMap.js';
export type { CallOptions, MaybePromise } from './util/maybePromise.js';

// Compat
export { Compat, isCompatVerdict } from './compat/verdict.js';
export { CompatReport } from './compat/compatReport.js';
export { checkCrdtCompat } from './compat/crdtCompat.js';
export { checkLogicalTypeCompat, extensionContractDiff } from './compat/logicalTypeCompat.js';
export type {
  CompatibleAfterMigrationVerdict,
  CompatibleVerdict,
  CompatVerdict,
  IncompatibleVerdict,
  StateMigration,
} from './compat/verdict.js';
export type { CompatEntry, CompatStatus } from './compat/compatReport.js';

// Disciplines
export { disciplineTable, builtinDisciplines } from './disciplines/disciplineTable.js';
export { DisciplineSet } from './disciplines/disciplineSet.js';
export { describeValue, shapeProblems } from './disciplines/shape.js';
export type { BuiltinDisciplines, BuiltinOpenRequests } from './disciplines/disciplineTable.js';
export type { OpenContext, OpenedResource } from './disciplines/openTypes.js';
export type { IndexOpenRequest } from './disciplines/indexKindDiscipline.js';
export type { CdcOpenRequest } from './disciplines/cdcOutputDiscipline.js';
export type { CrdtOpenRequest } from './disciplines/crdtKindDiscipline.js';
export type { StorageOpenRequest } from './disciplines/cleanKinds.js';
export type { AnyDiscipline } from './disciplines/disciplineSet.js';
export type { ShapeSpec } from './disciplines/shape.js';
export type {
  CompatContext,
  CompatProgress,
  DisciplineMode,
  HandoffInput,
  KindDiscipline,
  LiveResource,
  PreparedHandoff,
  StepCallOptions,
  StepContext,
} from './disciplines/discipline.js';

// Dispatch
export { ReloadDispatcher } from './dispatch/reloadDispatcher.js';
export { ReloadOutcome } from './dispatch/reloadOutcome.js';
export { RegistrationSet } from './dispatch/registrationSet.js';
export { ResourceBundle } from './dispatch/resourceBundle.js';
export type { DispatchResult } from './dispatch/reloadDispatcher.js';
export type { CompatSampleSource, ReloadDispatcherOptions } from './dispatch/dispatcherOptions.js';
export type { HandoffParams, ResourceHandoff } from './dispatch/resourceHandoff.js';
export type { RollbackReport, UnrestoredResource } from './dispatch/rollback.js';
export type { HandoffRecord, OutcomeState } from './dispatch/reloadOutcome.js';
export type { Registration } from './dispatch/registrationSet.js';

// Host
export { PluginHost, createPluginHost } from './host/pluginHost.js';
export { SurfaceRef } from './host/surfaceRef.js';
export { definePlugin, validatePlugin } from './host/pluginDefinition.js';
export { PluginInfoToken } from './host/scope.js';
export { ManagedHandle } from './host/managed/managedHandle.js';
export { ManagedIndex } from './host/managed/managedIndex.js';
export { ManagedCdcStream } from './host/managed/managedCdcStream.js';
export { ManagedCrdt } from './host/managed/managedCrdt.js';
export { ManagedStorage } from './host/managed/managedStorage.js';
export { ManagedResource } from './host/managed/managedResource.js';
export type {
  LoadOptions,
  OpenCrdtOptions,
  OpenIndexOptions,
  OpenResourceOptions,
  OpenStorageOptions,
  PluginHostOptions,
  PluginSummary,
  StartCdcOptions,
  UnloadOptions,
} from './host/pluginHost.js';
export type { SurfaceLease } from './host/providerLease.js';
export type { PluginDefinition } from './host/pluginDefinition.js';
export type { Registrar } from './host/registrar.js';
export type { PluginInfo } from './host/scope.js';
export type { ReloadOptions, ReloadResult, ReloadTimings, RetireReport } from './host/reloadRun.js';

// Events and stats
export { reduceStats } from './events/stats.js';
export type { HostEventMap, HostListener, PluginTransition, ReloadEventBase } from './events/hostEvents.js';
export { reloadEventNames, type ReloadEventName } from './events/reloadEventNames.js';
export type { KindHandoffStats, PluginStats } from './events/stats.js';

// Settings (one table of defaults and ranges, checked wherever a setting enters)
export { MAX_TIMER_MS, defaultSettings, settingSpecs } from './settings/settingSpecs.js';
export type { NumericSettings, SettingName, SettingSpec } from './settings/settingSpecs.js';

// Utilities hosts and providers share
export { withDeadline } from './util/deadline.js';
export type { DeadlineOptions } from './util/deadline.js';

// Durable files (atomic replace, checksummed frames)
export {
  frameChecked,
  readChecked,
  syncDirectory,
  unframeChecked,
  writeChecked,
  writeFileAtomic,
} from './durable/atomicFile.js';
export type { AtomicWriteOptions, ReadCheckedOptions } from './durable/atomicFile.js';
export { SnapshotSlots } from './durable/snapshotSlots.js';
export { fileReloadJournal } from './durable/reloadJournal.js';
export type { DamagedSlot, Snapshot, SnapshotSlotsOptions } from './durable/snapshotSlots.js';
export type { FileReloadJournalOptions, JournalState, ReloadJournal } from './durable/reloadJournal.js';
export { errnoCode, ioFailed, withIo } from './durable/ioError.js';
export type { IoErrorContext } from './durable/ioError.js';
export { removeStaleTempFiles, tempFileFor } from './durable/tempFiles.js';
export { openRegularFile, openRegularFileIfExists } from './durable/regularFile.js';
export type { OpenedRegularFile, OpenRegularFileOptions } from './durable/regularFile.js';

// Plugin artifacts: manifest, ed25519 signatures, verification, runtime install, loading
export { MANIFEST_FILE, SIGNATURE_FILE, parseManifest, serializeManifest } from './loader/manifest.js';
export { generateSigningKey, keyIdOf, signManifest, trustedKey, verifyManifestSignature } from './loader/signing.js';
export { verifyPluginDirectory } from './loader/verifyDirectory.js';
export { installPlugin } from './loader/installRuntime.js';
export { loadPluginVersion } from './loader/loadPluginVersion.js';
export { signPluginDirectory } from './loader/signArtifact.js';
export type { ManifestSurface, PluginManifest } from './loader/manifest.js';
export type { SignatureDocument, SigningKeyPair, TrustedKey } from './loader/signing.js';
export type { VerifiedPlugin, VerifyOptions } from './loader/verifyDirectory.js';
export type { InstalledPlugin } from './loader/installRuntime.js';
export type { LoadedPluginVersion, LoadPluginVersionOptions } from './loader/loadPluginVersion.js';
export type { ManifestDraft } from './loader/signArtifact.js';
export { collectRegistrations } from './loader/collectRegistrations.js';
export type { CollectRegistrationsOptions } from './loader/collectRegistrations.js';
