import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DependencyContainer } from 'tsyringe';
import { ReloadError } from '../errors/reloadError.js';
import { withDeadline } from '../util/deadline.js';

/** What a `--services` module's default export receives besides the container. */
export interface HostServicesContext {
  /** A private scratch directory for services that need one; removed when the command ends. */
  readonly directory: string;
  /** Aborted when the command gives up on the services (timeout). */
  readonly signal: AbortSignal;
}

/**
 * The default export of a `--services` module: registers the host services plugins resolve in
 * `register()` (`r.scope.resolve(token)`) on `container`, as the host would on its own container.
 */
export type RegisterHostServices = (container: DependencyContainer, context: HostServicesContext) => unknown;

/**
 * Imports the `--services` module at `path` (relative to the current directory) and runs its default
 * export on `container`, bounded by `timeoutMs`. A module that cannot be imported, has no function
 * as its default export, or throws is a `ReloadError` (`INVALID_ARGUMENT`) naming it.
 */
export async function registerHostServices(
  path: string,
  container: DependencyContainer,
  context: Omit<HostServicesContext, 'signal'>,
  timeoutMs: number,
): Promise<void> {
  const fail = (message: string, cause?: unknown): ReloadError =>
    new ReloadError({
      code: 'INVALID_ARGUMENT',
      phase: 'stage',
      message: `--services ${path}: ${message}`,
      ...(cause === undefined ? {} : { cause }),
    });
  let module: { default?: unknown };
  try {
    module = (await import(pathToFileURL(resolve(path)).href)) as { default?: unknown };
  } catch (error) {
    throw fail(`cannot import it: ${error instanceof Error ? error.message : String(error)}`, error);
  }
  const register = module.default;
  if (typeof register !== 'function')
    throw fail('its default export must be a function (container, { directory, signal }) that registers host services');
  try {
    await withDeadline((signal) => (register as RegisterHostServices)(container, { ...context, signal }), {
      timeoutMs,
    });
  } catch (error) {
    throw fail(
      `registering the host services failed: ${error instanceof Error ? error.message : String(error)}`,
      error,
    );
  }
}
