import { isReloadError } from '../errors/reloadError.js';
import type { ReloadError } from '../errors/reloadError.js';

/** The ReloadError `promise` rejects with; fails the test if it resolves or rejects with anything else. */
export async function rejection(promise: Promise<unknown>): Promise<ReloadError> {
  try {
    await promise;
  } catch (error) {
    if (isReloadError(error)) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}
