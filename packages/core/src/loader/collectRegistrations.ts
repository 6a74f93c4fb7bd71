import 'reflect-metadata';
import { container as rootContainer } from 'tsyringe';
import type { DependencyContainer } from 'tsyringe';
import { DisciplineSet } from '../disciplines/disciplineSet.js';
import type { AnyDiscipline } from '../disciplines/disciplineSet.js';
import type { RegistrationSet } from '../dispatch/registrationSet.js';
import { ReloadError, isReloadError } from '../errors/reloadError.js';
import { validatePlugin } from '../host/pluginDefinition.js';
import { createRegistrar } from '../host/registrar.js';
import type { StagingRegistrar } from '../host/registrar.js';
import { createVersionScope, disposeScope } from '../host/scope.js';
import { withDeadline } from '../util/deadline.js';

/** Options of {@link collectRegistrations}. */
export interface CollectRegistrationsOptions {
  /**
   * The container host services resolve from (the plugin's scope is a child of it). Default: a
   * new child of tsyringe's root container.
   */
  readonly container?: DependencyContainer;
  /** Milliseconds `register()` may take (default 10 000); then `REGISTRATION_FAILED`. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** The default bound on `register()` outside a host. */
export const DEFAULT_COLLECT_TIMEOUT_MS = 10_000;

/**
 * Runs a plugin's `register()` outside any host and returns what it registers (each provider
 * validated by its kind's discipline). For tooling: `baton inspect`, compat reports in CI.
 * `register()` is bounded by `timeoutMs` (its registrar's signal aborts then); a throw, rejection or
 * timeout is `REGISTRATION_FAILED` (the registrar's own errors, such as `INVALID_PROVIDER`, pass
 * through).
 */
export async function collectRegistrations(
  plugin: unknown,
  disciplines: readonly AnyDiscipline[] = [],
  options: CollectRegistrationsOptions = {},
): Promise<RegistrationSet> {
  const definition = validatePlugin(plugin);
  const timeoutMs = options.timeoutMs ?? DEFAULT_COLLECT_TIMEOUT_MS;
  const info = { name: definition.name, version: definition.version, epoch: 0 };
  const scope = createVersionScope(options.container ?? rootContainer.createChildContainer(), info);
  const set = DisciplineSet.builtin().with(...disciplines);
  let staging: StagingRegistrar | undefined;
  try {
    return await withDeadline(
      async (deadline) => {
        staging = createRegistrar(info, set, scope, deadline);
        await definition.register(staging.registrar);
        return staging.seal();
      },
      { timeoutMs, signal: options.signal },
    );
  } catch (error) {
    if (isReloadError(error)) throw error;
    const timedOut = error instanceof DOMException && error.name === 'TimeoutError';
    const aborted = error instanceof DOMException && error.name === 'AbortError';
    throw new ReloadError({
      code: aborted ? 'ABORTED' : 'REGISTRATION_FAILED',
      phase: 'stage',
      plugin: definition.name,
      message: timedOut
        ? `register() of ${definition.name} ${definition.version} did not finish within ${timeoutMs} ms`
        : `register() of ${definition.name} ${definition.version} failed: ${error instanceof Error ? error.message : String(error)}`,
      cause: error,
    });
  } finally {
    staging?.seal(); // a register() that outlived its deadline can add nothing more
    await disposeScope(scope, staging?.retireHooks);
  }
}
