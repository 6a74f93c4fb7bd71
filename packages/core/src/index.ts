/**
 * `@baton/core`: hot-reload data-engine plugins without a failed call, without losing index or
 * CRDT state, and without losing or duplicating a CDC event.
 *
 * This entry holds what a host or plugin author needs. Plugin artifacts (signing, verification,
 * loading) are in `@baton/core/loader`, file primitives for providers in `@baton/core/durable`, and
 * the pieces for authors of disciplines and tools (the built-in disciplines and the discipline table,
 * compat checks, shape checks, settings) in `@baton/core/kit`.
 *
 * @packageDocumentation
 */

// Errors
export { ReloadError, isReloadError } from './errors/reloadError.js';
export { reloadErrorCodes } from './errors/codes.js';
export type { ReloadErrorInit } from './errors/reloadError.js';
export type { ReloadErrorCode, ReloadPhase } from './errors/codes.js';

// Surface contracts
export type { AggregateFunctionProvider, ScalarFunctionProvider } from './surfaces/functions.js';
export type { Storage, StorageBackendProvider, StorageOpenOptions } from './surfaces/storage.js';
export type { BackgroundJobProvider, JobTickContext } from './surfaces/backgroundJob.js';
export type { IndexBuildOptions, IndexHandle, IndexKindProvider, IndexSnapshot } from './surfaces/indexKind.js';
export type { CdcBatch, CdcOutputProvider, CdcStartOptions, CdcStream, CdcTakeover } from './surfaces/cdcOutput.js';
export type { CdcLagBehind, CdcSource, CdcSourceLag, CdcSourcePosition } from './surfaces/cdcSource.js';
export type { CrdtKindProvider, CrdtMark, CrdtState } from './surfaces/crdtKind.js';
export type { LogicalTypeProvider } from './surfaces/logicalType.js';
export type {
  BuiltinKind,
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
export type {
  CompatibleAfterMigrationVerdict,
  CompatibleVerdict,
  CompatVerdict,
  IncompatibleVerdict,
  StateMigration,
} from './compat/verdict.js';
export type { CompatEntry, CompatStatus } from './compat/compatReport.js';

// Disciplines
export { DisciplineSet } from './disciplines/disciplineSet.js';
export type { OpenContext, OpenedResource } from './disciplines/openTypes.js';
export type { AnyDiscipline } from './disciplines/disciplineSet.js';
export type {
  CompatContext,
  CompatProgress,
  DisciplineMode,
  HandoffInput,
  KindDiscipline,
  LiveResource,
  PreparedHandoff,
  PreparedSnapshot,
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
export type { TrackSourceOptions } from './host/managed/sourceLagTracker.js';
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
} from './host/hostApiTypes.js';
export type { SurfaceLease } from './host/providerLease.js';
export type { PluginDefinition } from './host/pluginDefinition.js';
export type { Registrar } from './host/registrar.js';
export type { PluginInfo } from './host/scope.js';
export type { ReloadOptions, ReloadResult, ReloadTimings, RetiredLeftover, RetireReport } from './host/reloadTypes.js';
export type { RuntimeLeftover } from './loader/bundle/pluginRuntime.js';

// Events and stats
export type { HostEventMap, HostListener, PluginTransition, ReloadEventBase } from './events/hostEvents.js';
export { consoleLogger } from './events/hostLogger.js';
export type { HostLogger } from './events/hostLogger.js';
export { reloadEventNames, type ReloadEventName } from './events/reloadEventNames.js';
export type { KindHandoffStats, PluginStats } from './events/stats.js';

// The reload journal (a host option)
export { fileReloadJournal } from './durable/reloadJournal.js';
export type { FileReloadJournalOptions, JournalState, ReloadJournal } from './durable/reloadJournal.js';
