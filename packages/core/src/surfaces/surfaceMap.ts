import type { BackgroundJobProvider } from './backgroundJob.js';
import type { CdcOutputProvider, CdcStream } from './cdcOutput.js';
import type { CrdtKindProvider, CrdtState } from './crdtKind.js';
import type { AggregateFunctionProvider, ScalarFunctionProvider } from './functions.js';
import type { IndexHandle, IndexKindProvider } from './indexKind.js';
import type { LogicalTypeProvider } from './logicalType.js';
import type { Storage, StorageBackendProvider } from './storage.js';

/** The provider type of each built-in surface kind. */
export interface BuiltinSurfaces {
  scalarFunction: ScalarFunctionProvider;
  aggregateFunction: AggregateFunctionProvider;
  storageBackend: StorageBackendProvider;
  indexKind: IndexKindProvider;
  backgroundJob: BackgroundJobProvider;
  cdcOutput: CdcOutputProvider;
  crdtKind: CrdtKindProvider;
  logicalType: LogicalTypeProvider;
}

/**
 * Provider types of a host's own surface kinds. Augment it to type `registrar.add` for a kind you
 * register a discipline for:
 *
 * ```ts
 * declare module '@baton/core' {
 *   interface CustomSurfaces { tokenizer: TokenizerProvider }
 * }
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface CustomSurfaces {}

/** Every surface kind's provider type: the built-in ones and the host's own. */
export type SurfaceMap = BuiltinSurfaces & CustomSurfaces;

/** A built-in surface kind. */
export type BuiltinKind = keyof BuiltinSurfaces;

/** Any registered surface kind: a built-in one, a typed custom one, or any other string. */
export type SurfaceKind = keyof SurfaceMap | (string & {});

/** The provider type of `K` (`unknown` for an untyped custom kind). */
export type ProviderOf<K extends string> = K extends keyof SurfaceMap ? SurfaceMap[K] : unknown;

/** The live resource type each stateful built-in kind hands over on reload. */
export interface BuiltinResources {
  indexKind: IndexHandle;
  cdcOutput: CdcStream;
  crdtKind: CrdtState;
  storageBackend: Storage;
}

/** The live resource type of `K` (`unknown` for a host's own kind). */
export type ResourceOf<K extends string> = K extends keyof BuiltinResources ? BuiltinResources[K] : unknown;

/** The built-in kinds in the order the discipline table lists them. */
export const builtinKinds = [
  'scalarFunction',
  'aggregateFunction',
  'storageBackend',
  'indexKind',
  'backgroundJob',
  'cdcOutput',
  'crdtKind',
  'logicalType',
] as const satisfies readonly BuiltinKind[];
