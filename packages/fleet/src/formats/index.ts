/**
 * Mixed-version state across a fleet (Kafka's two-step upgrade): the format phase of each plugin
 * version as rows, the host service that tells a plugin's `register()` which formats to write, the
 * pinned providers, and the fleet's compat pre-checks. See docs/design/fleet.md, "Mixed-version state".
 */
export { ensureFormatSchema } from './formatSchema.js';
export { formatPhases } from './formatPhase.js';
export type { FormatPhase, FormatPhaseRow, FormatSchemaOptions } from './formatPhase.js';
export {
  beginMixedPhase,
  listFormatPhases,
  readFormatPhase,
  revertFormatPhase,
  switchFormatPhase,
  undoFormatSwitch,
} from './formatPhaseStore.js';
export type { FleetMemberVersion, FormatPhaseKey, MixedPhaseInit } from './formatPhaseStore.js';
export { FLEET_FORMATS, FleetFormats, fleetFormats } from './fleetFormats.js';
export type { FormatPlan, PluginFormats } from './fleetFormats.js';
export { pinFormat } from './pinFormat.js';
export { assertFleetFormats, checkFleetFormats } from './checkFleetFormats.js';
export type { FleetFormatCheckOptions } from './checkFleetFormats.js';
export type { RegisterEnvironment } from './pluginCrdtKinds.js';
export { formatPreflight } from './formatPreflight.js';
export { formatsPreflight, withFormatRefresh } from './fleetHooks.js';
export type { FormatPreflightContext, FormatsPreflightOptions } from './fleetHooks.js';
export type { FormatPreflightOptions } from './formatPreflight.js';
export { requiredFormatChecks } from './formatReport.js';
export type { FleetFormatReport, FormatCheck, FormatCheckStatus, KindFormatReport } from './formatReport.js';
