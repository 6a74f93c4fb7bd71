/**
 * `@baton/core/kit`: pieces for authors of disciplines, providers and tools rather than of hosts —
 * the built-in disciplines and the discipline table, the compat checks they run, shape checks of
 * untrusted objects, the settings table, deadlines, and error helpers.
 *
 * @packageDocumentation
 */

export { builtinDisciplines, disciplineTable } from './disciplines/disciplineTable.js';
export { describeValue, shapeProblems } from './disciplines/shape.js';
export { checkCrdtCompat } from './compat/crdtCompat.js';
export { checkLogicalTypeCompat, extensionContractDiff } from './compat/logicalTypeCompat.js';
export { builtinKinds } from './surfaces/surfaceMap.js';
export { toReloadError } from './errors/reloadError.js';
export { isProviderCode, reloadPhases } from './errors/codes.js';
export { MAX_TIMER_MS, defaultSettings, settingSpecs } from './settings/settingSpecs.js';
export { withDeadline } from './util/deadline.js';
export { providerError } from './host/managed/providerError.js';
export type { BuiltinDisciplines, BuiltinOpenRequests } from './disciplines/disciplineTable.js';
export type { IndexOpenRequest } from './disciplines/indexKindDiscipline.js';
export type { CdcOpenRequest } from './disciplines/cdcOutputDiscipline.js';
export type { CrdtOpenRequest } from './disciplines/crdtKindDiscipline.js';
export type { StorageOpenRequest } from './disciplines/cleanKinds.js';
export type { ShapeSpec } from './disciplines/shape.js';
export type { BuiltinResources, BuiltinSurfaces } from './surfaces/surfaceMap.js';
export type { NumericSettings, SettingName, SettingSpec } from './settings/settingSpecs.js';
export type { DeadlineOptions } from './util/deadline.js';
export type { ProviderCallSite } from './host/managed/providerError.js';
