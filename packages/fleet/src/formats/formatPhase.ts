import type { ReloadError } from '@baton/core';
import { describeValue } from '@baton/core/kit';
import { fleetError } from '../store/fleetErrors.js';
import type { FleetPhase } from '../store/fleetErrors.js';
import { fleetNames } from '../store/schemaName.js';

/**
 * Where a plugin version stands in Kafka's two-step upgrade: `mixed` while processes of the old
 * version may still run (the new version writes the old version's persisted formats, and reads both),
 * `switched` once every live process runs it (it writes its own, newest formats).
 */
export type FormatPhase = 'mixed' | 'switched';

/** The phases, in the order a rollout goes through them. */
export const formatPhases: readonly FormatPhase[] = Object.freeze(['mixed', 'switched']);

/** One row of `format_phases`: the format phase of one plugin version across the fleet. */
export interface FormatPhaseRow {
  readonly plugin: string;
  /** The version rolled out (the new one). */
  readonly version: string;
  /** The version the fleet ran before (the one whose formats the new version writes in `mixed`). */
  readonly fromVersion: string;
  readonly phase: FormatPhase;
  /**
   * CRDT kind key → the format version the old version writes, for each kind whose format the new
   * version changes: what the new version writes for that kind while the phase is `mixed`.
   */
  readonly pinned: Readonly<Record<string, number>>;
  /** Whether the old version reads the new version's formats (a rollback after the switch is then safe). */
  readonly rollbackSafe: boolean;
  readonly createdAt: Date;
  /** When the phase became `switched` (null while `mixed`). */
  readonly switchedAt: Date | null;
}

/** Options every function over `format_phases` takes. */
export interface FormatSchemaOptions {
  /** The PostgreSQL schema of the fleet's tables (default `baton_fleet`, as `ensureFleetSchema`'s). */
  readonly schema?: string;
}

/** The schema of `options`, checked as the fleet's other tables' (`INVALID_ARGUMENT` otherwise). */
export function schemaOf(options: FormatSchemaOptions | undefined): string {
  return fleetNames(options?.schema).schema;
}

/** True when `value` is a format version: a positive safe integer. */
export function isFormatNumber(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) > 0;
}

/** The `INVALID_ARGUMENT` error of this folder's functions (`fleetPhase` default `preflight`). */
export function invalidFormatArgument(
  message: string,
  plugin?: string,
  fleetPhase: FleetPhase = 'preflight',
): ReloadError {
  return fleetError({
    code: 'INVALID_ARGUMENT',
    fleetPhase,
    message,
    ...(plugin === undefined ? {} : { plugin }),
  });
}

/** A plugin name or version given to a function here: a non-empty string of at most 256 characters. */
export function checkName(value: unknown, what: string, where: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 256)
    throw invalidFormatArgument(`${where}: ${what} must be a non-empty string of at most 256 characters`);
  return value;
}

/**
 * The pinned-format map of a phase row, checked: an object whose every value is a format version
 * (`problem` names what is wrong, for the caller's typed error).
 */
export function pinnedProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return 'pinned must be an object of CRDT kind key → format version';
  for (const [key, format] of Object.entries(value as Record<string, unknown>))
    if (key.length === 0 || !isFormatNumber(format))
      return `pinned[${JSON.stringify(key)}] must be a format version (a positive integer), not ${describeValue(format)}`;
  return undefined;
}
