import { isReloadError } from '@baton/core';
import type { ReloadError } from '@baton/core';

/** The `ReloadError` `work` rejects (or throws) with; fails the test when it settles otherwise. */
export async function reloadErrorOf(work: () => unknown): Promise<ReloadError> {
  let error: unknown;
  try {
    await work();
  } catch (caught) {
    error = caught;
  }
  if (!isReloadError(error)) throw new Error(`expected a ReloadError, got ${String(error)}`);
  return error;
}
