import type { DependencyContainer } from 'tsyringe';
import type { DisciplineSet } from '../disciplines/disciplineSet.js';
import { RegistrationSet } from '../dispatch/registrationSet.js';
import type { Registration } from '../dispatch/registrationSet.js';
import { ReloadError } from '../errors/reloadError.js';
import type { BackgroundJobProvider } from '../surfaces/backgroundJob.js';
import type { CdcOutputProvider } from '../surfaces/cdcOutput.js';
import type { CrdtKindProvider } from '../surfaces/crdtKind.js';
import type { AggregateFunctionProvider, ScalarFunctionProvider } from '../surfaces/functions.js';
import type { IndexKindProvider } from '../surfaces/indexKind.js';
import type { LogicalTypeProvider } from '../surfaces/logicalType.js';
import type { StorageBackendProvider } from '../surfaces/storage.js';
import type { ProviderOf, SurfaceKind } from '../surfaces/surfaceMap.js';
import type { MaybePromise } from '../util/maybePromise.js';
import type { PluginInfo } from './scope.js';

/**
 * What a plugin's `register()` receives: typed methods for the built-in surfaces, `add` for any
 * kind with a discipline, the version's own tsyringe scope and a signal aborted when the host
 * gives up on registration (timeout, abort). Registrations stay invisible until commit.
 */
export interface Registrar {
  readonly plugin: PluginInfo;
  /** The version's tsyringe child container: resolve host services, register version-scoped ones. */
  readonly scope: DependencyContainer;
  readonly signal: AbortSignal;
  /**
   * Runs `hook` when this version retires (after its last in-flight call) or is discarded by a
   * failed reload: close pools, stop timers. Instances tsyringe constructs in {@link scope} that
   * have `dispose()` are disposed then too.
   */
  onRetire(hook: () => MaybePromise<void>): this;
  /** Registers a provider of any kind; its key comes from the kind's discipline. */
  add<K extends SurfaceKind>(kind: K, provider: ProviderOf<K>): this;
  scalarFunction(provider: ScalarFunctionProvider): this;
  aggregateFunction<S, R>(provider: AggregateFunctionProvider<S, R>): this;
  storageBackend(provider: StorageBackendProvider): this;
  indexKind(provider: IndexKindProvider): this;
  backgroundJob(provider: BackgroundJobProvider): this;
  cdcOutput(provider: CdcOutputProvider): this;
  crdtKind<Op, V>(provider: CrdtKindProvider<Op, V>): this;
  logicalType(provider: LogicalTypeProvider): this;
}

/** A registrar and the way to close it once `register()` has settled. */
export interface StagingRegistrar {
  readonly registrar: Registrar;
  /** Seals the registrar (later calls fail) and returns what was registered. */
  seal(): RegistrationSet;
  /** The hooks `onRetire` collected. */
  readonly retireHooks: readonly (() => MaybePromise<void>)[];
  /**
   * True for an error this registrar threw (a host verdict on what `register()` asked for, whose code
   * stands); anything else `register()` throws is the plugin's own and gets the host's code.
   */
  raisedHere(error: unknown): boolean;
}

/** Makes the registrar of one plugin version. Every provider is validated by its kind's discipline. */
export function createRegistrar(
  plugin: PluginInfo,
  disciplines: DisciplineSet,
  scope: DependencyContainer,
  signal: AbortSignal,
): StagingRegistrar {
  const registrations: Registration[] = [];
  const retireHooks: (() => MaybePromise<void>)[] = [];
  let sealed = false;
  const raised = new WeakSet<object>();
  const fail = (
    code: 'UNKNOWN_KIND' | 'INVALID_PROVIDER' | 'DUPLICATE_SURFACE' | 'INVALID_ARGUMENT',
    kind: string,
    message: string,
    key?: string,
  ): never => {
    const error = new ReloadError({
      code,
      phase: 'stage',
      plugin: plugin.name,
      kind,
      ...(key === undefined ? {} : { key }),
      message: `plugin '${plugin.name}' ${plugin.version}: ${message}`,
    });
    raised.add(error);
    throw error;
  };
  const registrar: Registrar = {
    plugin,
    scope,
    signal,
    onRetire(hook) {
      if (typeof hook !== 'function') fail('INVALID_ARGUMENT', 'onRetire', 'onRetire() needs a function');
      retireHooks.push(hook);
      return this;
    },
    add(kind, provider) {
      if (sealed) fail('INVALID_ARGUMENT', kind, `registered ${kind} after register() had settled`);
      const discipline =
        disciplines.get(kind) ?? fail('UNKNOWN_KIND', kind, `surface kind '${kind}' has no discipline in this host`);
      const problems = discipline.validate(provider);
      if (problems.length > 0) fail('INVALID_PROVIDER', kind, `invalid ${kind} provider: ${problems.join('; ')}`);
      const key = discipline.keyOf(provider);
      if (registrations.some((r) => r.kind === kind && r.key === key))
        fail('DUPLICATE_SURFACE', kind, `registered ${kind} '${key}' twice`, key);
      registrations.push({ kind, key, provider });
      return this;
    },
    scalarFunction(provider) {
      return this.add('scalarFunction', provider);
    },
    aggregateFunction(provider) {
      return this.add('aggregateFunction', provider);
    },
    storageBackend(provider) {
      return this.add('storageBackend', provider);
    },
    indexKind(provider) {
      return this.add('indexKind', provider);
    },
    backgroundJob(provider) {
      return this.add('backgroundJob', provider);
    },
    cdcOutput(provider) {
      return this.add('cdcOutput', provider);
    },
    crdtKind(provider) {
      return this.add('crdtKind', provider);
    },
    logicalType(provider) {
      return this.add('logicalType', provider);
    },
  };
  return {
    registrar,
    retireHooks,
    raisedHere: (error) => typeof error === 'object' && error !== null && raised.has(error),
    seal() {
      sealed = true;
      return RegistrationSet.of(registrations);
    },
  };
}
