import type { BuiltinKind, BuiltinResources, BuiltinSurfaces } from '../surfaces/surfaceMap.js';
import type { builtinKinds } from '../surfaces/surfaceMap.js';
import {
  aggregateFunctionDiscipline,
  backgroundJobDiscipline,
  scalarFunctionDiscipline,
  storageBackendDiscipline,
} from './cleanKinds.js';
import type { StorageOpenRequest } from './cleanKinds.js';
import { cdcOutputDiscipline } from './cdcOutputDiscipline.js';
import type { CdcOpenRequest } from './cdcOutputDiscipline.js';
import { crdtKindDiscipline } from './crdtKindDiscipline.js';
import type { CrdtOpenRequest } from './crdtKindDiscipline.js';
import type { DisciplineMode, KindDiscipline } from './discipline.js';
import { indexKindDiscipline } from './indexKindDiscipline.js';
import type { IndexOpenRequest } from './indexKindDiscipline.js';
import { logicalTypeDiscipline } from './logicalTypeDiscipline.js';

/**
 * The discipline table: the reload mode of every built-in surface kind, and whether its live
 * resources pause their callers during a reload. The package doc (packages/core/README.md) shows the
 * same table; a test compares the two, and the type of {@link builtinDisciplines} makes the
 * compiler reject a discipline whose mode or pause flag disagrees.
 */
export const disciplineTable = {
  scalarFunction: { mode: 'clean', pausesCallers: false },
  aggregateFunction: { mode: 'clean', pausesCallers: false },
  storageBackend: { mode: 'reopen', pausesCallers: false },
  indexKind: { mode: 'persistOpen', pausesCallers: false },
  backgroundJob: { mode: 'clean', pausesCallers: false },
  cdcOutput: { mode: 'checkpointRestart', pausesCallers: true },
  crdtKind: { mode: 'schemaCompat', pausesCallers: true },
  logicalType: { mode: 'extensionContract', pausesCallers: false },
} as const satisfies {
  readonly [K in BuiltinKind]: { readonly mode: DisciplineMode; readonly pausesCallers: boolean };
};

type LiveResourceOf<K extends BuiltinKind> = K extends keyof BuiltinResources ? BuiltinResources[K] : never;

/** The request each stateful built-in kind's `open` takes. */
export interface BuiltinOpenRequests {
  indexKind: IndexOpenRequest;
  cdcOutput: CdcOpenRequest;
  crdtKind: CrdtOpenRequest;
  storageBackend: StorageOpenRequest;
}

type RequestOf<K extends BuiltinKind> = K extends keyof BuiltinOpenRequests
  ? BuiltinOpenRequests[K]
  : Readonly<Record<string, unknown>>;

/** The built-in disciplines, each typed with its provider, its resource and its mode from the table. */
export type BuiltinDisciplines = {
  readonly [K in BuiltinKind]: KindDiscipline<BuiltinSurfaces[K], LiveResourceOf<K>, RequestOf<K>> & {
    readonly kind: K;
    readonly mode: (typeof disciplineTable)[K]['mode'];
    readonly pausesCallers: (typeof disciplineTable)[K]['pausesCallers'];
  };
};

/** The disciplines of the eight built-in surface kinds, registered by default in every host. */
export const builtinDisciplines: BuiltinDisciplines = {
  scalarFunction: { ...scalarFunctionDiscipline, kind: 'scalarFunction' },
  aggregateFunction: { ...aggregateFunctionDiscipline, kind: 'aggregateFunction' },
  storageBackend: { ...storageBackendDiscipline, kind: 'storageBackend' },
  indexKind: { ...indexKindDiscipline, kind: 'indexKind' },
  backgroundJob: { ...backgroundJobDiscipline, kind: 'backgroundJob' },
  cdcOutput: { ...cdcOutputDiscipline, kind: 'cdcOutput' },
  crdtKind: { ...crdtKindDiscipline, kind: 'crdtKind' },
  logicalType: { ...logicalTypeDiscipline, kind: 'logicalType' },
};

// Compile-time check: `builtinKinds` lists every built-in kind (the table rows are then complete too).
type MissingKinds = Exclude<BuiltinKind, (typeof builtinKinds)[number]>;
type IsTrue<T extends true> = T;
type _EveryKindListed = IsTrue<[MissingKinds] extends [never] ? true : false>;
