import { inspect } from 'node:util';
import { fleetError } from './fleetErrors.js';
import type { FleetPhase } from './fleetErrors.js';

/** A whole number of milliseconds ≥ 0 (≤ a day), else `INVALID_ARGUMENT` naming `what`. */
export function checkMs(value: unknown, what: string, fleetPhase: FleetPhase): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > 86_400_000)
    throw fleetError({
      code: 'INVALID_ARGUMENT',
      fleetPhase,
      message: `${what} must be a whole number of milliseconds in [0, 86400000] (got ${show(value)})`,
    });
  return value;
}

/** A non-empty string of at most 200 characters, else `INVALID_ARGUMENT` naming `what`. */
export function checkId(value: unknown, what: string, fleetPhase: FleetPhase): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 200)
    throw fleetError({
      code: 'INVALID_ARGUMENT',
      fleetPhase,
      message: `${what} must be a string of 1 to 200 characters (got ${show(value)})`,
    });
  return value;
}

/** A value as an error message shows it (strings quoted). */
export function show(value: unknown): string {
  return inspect(value, { depth: 1, breakLength: Infinity });
}
