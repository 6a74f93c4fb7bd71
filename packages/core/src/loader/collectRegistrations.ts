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
import { checkOptionKeys, checkSetting, checkSignal } from '../settings/checkSettings.js';
import { describeValue } from '../disciplines/shape.js';
import { withDeadline } from '../util/deadline.js';

/** Options of {@link collectRegistrations}. */
export interface CollectRegistrationsOptions {
  /**
   * The container host services resolve from (the plugin's scope is a child of it). Default: a
   * new child of tsyringe's root container.
   */
  readonly container?: DependencyContainer;
  /** Milliseconds `register()` may take (default 10 000, at most 2^31 − 1); then `REGISTRATION_FAILED`. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** The default bound on `register()` outside a host. */
export const DEFAULT_COLLECT_TIMEOUT_MS = 10_000;

/**
 * Runs a plugin's `register()` outside any host and returns what it registers (each provider
 * validated by its kind's discipline). For tooling: `baton inspect`, compat reports in CI.
 * `register()` is bounded by `timeoutMs` (its registrar's signal aborts then). As in a host, Baton
 * assigns the codes: only the registrar's own verdicts (`INVALID_PROVIDER`, `DUPLICATE_SURFACE`, …)
 * keep theirs; a timeout is `REGISTRATION_FAILED`, an abort of `signal` `ABORTED`, and anything
 * `register()` throws itself — even a `ReloadError` or a `DOMException` named `TimeoutError` — is
 * `REGISTRATION_FAILED` with the plugin's error as the cause. Bad arguments are `INVALID_ARGUMENT`.
 */
export async function collectRegistrations(
  plugin: unknown,
  disciplines: readonly AnyDiscipline[] = [],
  options: CollectRegistrationsOptions = {},
): Promise<RegistrationSet> {
  const checked = checkArguments(disciplines, options);
  const definition = validatePlugin(plugin);
  const { timeoutMs, signal } = checked;
  const info = { name: definition.name, version: definition.version, epoch: 0 };
  const where = `register() of ${definition.name} ${definition.version}`;
  const context = { phase: 'stage', plugin: definition.name } as const;
  if (signal?.aborted)
    throw new ReloadError({
      ...context,
      code: 'ABORTED',
      message: `${where} was not run: the signal was aborted`,
      cause: signal.reason,
    });
  const set = DisciplineSet.builtin().with(...disciplines);
  const scope = createVersionScope(checked.container ?? rootContainer.createChildContainer(), info);
  let staging: StagingRegistrar | undefined;
  let deadline: AbortSignal | undefined;
  try {
    return await withDeadline(
      async (abandon) => {
        deadline = abandon;
        staging = createRegistrar(info, set, scope, abandon);
        await definition.register(staging.registrar);
        return staging.seal();
      },
      { timeoutMs, signal },
    );
  } catch (error) {
    // Only Baton's own verdicts keep their code: what register() threw itself is the cause.
    if (staging?.raisedHere(error) === true && isReloadError(error)) throw error.with(context);
    const abandoned = deadline?.aborted === true && deadline.reason === error;
    if (abandoned && signal?.aborted === true)
      throw new ReloadError({
        ...context,
        code: 'ABORTED',
        message: `${where} was abandoned: the signal was aborted`,
        cause: error,
      });
    throw new ReloadError({
      ...context,
      code: 'REGISTRATION_FAILED',
      message: abandoned
        ? `${where} did not finish within ${timeoutMs} ms`
        : `${where} failed: ${error instanceof Error ? error.message : String(error)}`,
      cause: error,
    });
  } finally {
    staging?.seal(); // a register() that outlived its deadline can add nothing more
    await disposeScope(scope, staging?.retireHooks);
  }
}

const OPTION_KEYS = ['container', 'timeoutMs', 'signal'] as const;

function checkArguments(
  disciplines: unknown,
  options: unknown,
): { container?: DependencyContainer | undefined; timeoutMs: number; signal?: AbortSignal | undefined } {
  if (!Array.isArray(disciplines))
    throw new ReloadError({
      code: 'INVALID_ARGUMENT',
      phase: 'stage',
      message: `collectRegistrations: disciplines must be an array of disciplines, not ${describeValue(disciplines)}`,
    });
  checkOptionKeys(options, OPTION_KEYS, 'collectRegistrations options', 'stage');
  const o = (options ?? {}) as CollectRegistrationsOptions;
  const container = o.container;
  if (
    container !== undefined &&
    (typeof container !== 'object' || container === null || typeof container.createChildContainer !== 'function')
  )
    throw new ReloadError({
      code: 'INVALID_ARGUMENT',
      phase: 'stage',
      message: `collectRegistrations: container must be a tsyringe DependencyContainer, not ${describeValue(container)}`,
    });
  return {
    container,
    timeoutMs:
      o.timeoutMs === undefined ? DEFAULT_COLLECT_TIMEOUT_MS : checkSetting('registerTimeoutMs', o.timeoutMs, 'stage'),
    signal: checkSignal(o.signal, 'stage'),
  };
}
