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

function failure(path: string, message: string, cause?: unknown): ReloadError {
  return new ReloadError({
    code: 'INVALID_ARGUMENT',
    phase: 'stage',
    message: `--services ${path}: ${message}`,
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * Imports the `--services` module at the absolute `path` and returns its default export. A module
 * that cannot be imported or whose default export is not a function is a `ReloadError`
 * (`INVALID_ARGUMENT`) naming it. (`baton inspect` runs this in its child process, bounded there.)
 */
export async function importHostServices(path: string): Promise<RegisterHostServices> {
  let module: { default?: unknown };
  try {
    module = (await import(pathToFileURL(path).href)) as { default?: unknown };
  } catch (error) {
    throw failure(path, `cannot import it: ${error instanceof Error ? error.message : String(error)}`, error);
  }
  const register = module.default;
  if (typeof register !== 'function')
    throw failure(
      path,
      'its default export must be a function (container, { directory, signal }) that registers host services',
    );
  return register as RegisterHostServices;
}

/**
 * Runs a `--services` module's default export on `container`, bounded by `timeoutMs` (its signal
 * aborts then). A throw, a rejection or the timeout is `INVALID_ARGUMENT` naming the module.
 */
export async function runHostServices(
  path: string,
  register: RegisterHostServices,
  container: DependencyContainer,
  context: Omit<HostServicesContext, 'signal'>,
  timeoutMs: number,
): Promise<void> {
  try {
    await withDeadline((signal) => register(container, { ...context, signal }), { timeoutMs });
  } catch (error) {
    throw failure(
      path,
      `registering the host services failed: ${error instanceof Error ? error.message : String(error)}`,
      error,
    );
  }
}
