import { assertFleetFormats, checkFleetFormats } from './checkFleetFormats.js';
import type { FleetFormatCheckOptions } from './checkFleetFormats.js';
import { FleetFormats } from './fleetFormats.js';
import type { FormatSchemaOptions } from './formatPhase.js';
import { beginMixedPhase } from './formatPhaseStore.js';
import type { FleetFormatReport } from './formatReport.js';
import type { Queryable } from '../store/queryable.js';

/** Options of {@link formatPreflight}: the checks' options, and where the phases are kept. */
export interface FormatPreflightOptions extends FleetFormatCheckOptions, FormatSchemaOptions {
  /** Where `format_phases` is (`ensureFormatSchema` made it). */
  readonly client: Queryable;
}

/**
 * What a rollout's pre-flight runs before the first process moves: reads the fleet's phases (the
 * old version registers as its processes do), runs {@link checkFleetFormats}, throws
 * `SCHEMA_INCOMPATIBLE` when the new version cannot join a mixed fleet (nothing is recorded then),
 * and otherwise records phase `mixed` of the new version with the pinned formats and whether a
 * rollback after the switch is safe (`beginMixedPhase`, idempotent). Returns the report.
 *
 * ```ts
 * preflight: async () => {
 *   await formatPreflight({ client, oldPlugin, newPlugin });
 * },
 * ```
 */
export async function formatPreflight(options: FormatPreflightOptions): Promise<FleetFormatReport> {
  const { client } = options;
  const where = options.schema === undefined ? {} : { schema: options.schema };
  const formats = options.formats ?? (await FleetFormats.load(client, where));
  const report = await checkFleetFormats({ ...options, formats });
  assertFleetFormats(report);
  await beginMixedPhase(client, {
    ...where,
    plugin: report.plugin,
    version: report.toVersion,
    fromVersion: report.fromVersion,
    pinned: report.pinned,
    rollbackSafe: report.rollbackSafe,
  });
  return report;
}
