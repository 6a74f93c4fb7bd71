import { ReloadError } from '@baton/core';

/** The `INVALID_ARGUMENT` error of a reference background job's options, naming the job. */
export function invalidJobOption(name: string, message: string): ReloadError {
  return new ReloadError({
    code: 'INVALID_ARGUMENT',
    phase: 'call',
    kind: 'backgroundJob',
    key: name,
    message: `job '${name}': ${message}`,
  });
}

/** Throws unless `intervalMs` is a finite number of milliseconds > 0. */
export function checkIntervalMs(name: string, intervalMs: number): void {
  if (!(Number.isFinite(intervalMs) && intervalMs > 0))
    throw invalidJobOption(name, `intervalMs must be a number > 0 (got ${String(intervalMs)})`);
}
