import type { BuiltinKind, BuiltinResources, BuiltinSurfaces } from '../surfaces/surfaceMap.js';
import { builtinKinds } from '../surfaces/surfaceMap.js';
import {
  aggregateFunctionDiscipline,
  backgroundJobDiscipline,
  scalarFunctionDiscipline,
  storageBackendDiscipline,
} from './cleanKinds.js';
import { cdcOutputDiscipline } from './cdcOutputDiscipline.js';
import { crdtKindDiscipline } from './crdtKindDiscipline.js';
import type { DisciplineMode, KindDiscipline } from './discipline.js';
import { indexKindDiscipline } from './indexKindDiscipline.js';
import { logicalTypeDiscipline } from './logicalTypeDiscipline.js';

/**
 * The discipline table: the reload mode of every built-in surface kind. The package doc
 * (packages/core/README.md) shows the same table; a test compares the two, and the type of
 * {@link builtinDisciplines} makes the compiler reject a discipline whose mode disagrees.
 */
export const disciplineTable = {
  scalarFunction: 'clean',
  aggregateFunction: 'clean',
  storageBackend: 'clean',
  indexKind: 'persistOpen',
  backgroundJob: 'clean',
  cdcOutput: 'checkpointRestart',
  crdtKind: 'schemaCompat',
  logicalType: 'extensionContract',
} as const satisfies { readonly [K in BuiltinKind]: DisciplineMode };

type ResourceOf<K extends BuiltinKind> = K extends keyof BuiltinResources ? BuiltinResources[K] : never;

/** The built-in disciplines, each typed with its provider, its resource and its mode from the table. */
export type BuiltinDisciplines = {
  readonly [K in BuiltinKind]: KindDiscipline<BuiltinSurfaces[K], ResourceOf<K>> & {
    readonly kind: K;
    readonly mode: (typeof disciplineTable)[K];
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
const everyKindListed: [MissingKinds] extends [never] ? true : MissingKinds = true;
void everyKindListed;
void builtinKinds;
