import 'reflect-metadata';
import type {
  LoadOptions,
  OpenCrdtOptions,
  OpenIndexOptions,
  OpenResourceOptions,
  OpenStorageOptions,
  PluginHostOptions,
  PluginSummary,
  StartCdcOptions,
  UnloadOptions,
} from './hostApiTypes.js';
import { container as rootContainer } from 'tsyringe';
import type { DependencyContainer } from 'tsyringe';
import { DisciplineSet } from '../disciplines/disciplineSet.js';
import { ReloadError } from '../errors/reloadError.js';
import type { HostEventMap, HostListener } from '../events/hostEvents.js';
import type { PluginStats } from '../events/stats.js';
import type { CdcStream } from '../surfaces/cdcOutput.js';
import type { CrdtState } from '../surfaces/crdtKind.js';
import type { IndexHandle } from '../surfaces/indexKind.js';
import type { Storage } from '../surfaces/storage.js';
import type { ProviderOf, SurfaceKind } from '../surfaces/surfaceMap.js';
import type { MaybePromise } from '../util/maybePromise.js';
import { HostCore } from './hostCore.js';
import { JobRunner } from './jobRunner.js';
import { closeCell, openCell } from './managed/cellLifecycle.js';
import type { OpenedCell } from './managed/cellLifecycle.js';
import type { CellCloser } from './managed/managedHandle.js';
import { DeliveryCursor, ManagedCdcStream } from './managed/managedCdcStream.js';
import { ManagedCrdt } from './managed/managedCrdt.js';
import { ManagedIndex } from './managed/managedIndex.js';
import { ManagedResource } from './managed/managedResource.js';
import { ManagedStorage } from './managed/managedStorage.js';
import type { PluginDefinition } from './pluginDefinition.js';
import { ProviderLease } from './providerLease.js';
import type { SurfaceLease } from './providerLease.js';
import { planReload } from './reloadPlan.js';
import { ReloadRun } from './reloadRun.js';
import type { ReloadOptions, ReloadResult } from './reloadTypes.js';
import type { PluginInfo } from './scope.js';
import { loadSlot } from './load.js';
import { SurfaceRef, leasedCall } from './surfaceRef.js';
import { checkHostOptions } from '../settings/hostOptions.js';
import { attachLogger, consoleLogger } from '../events/hostLogger.js';
import { checkOpenOptions } from '../settings/openOptions.js';
import { checkOperationOptions } from '../settings/operationOptions.js';
import { unloadSlot } from './unload.js';

/**
 * Hosts plugins and reloads them transactionally while they serve.
 *
 * Callers reach clean surfaces through {@link PluginHost.call} (or a {@link SurfaceLease}) and
 * stateful ones through managed handles ({@link PluginHost.openIndex}, {@link PluginHost.startCdc},
 * {@link PluginHost.openCrdt}, {@link PluginHost.openStorage}) that keep working across reloads.
 * {@link PluginHost.reload} runs validate → stage → compat → quiesce → drain → dispatch → journal → commit →
 * retire; a failure at any step before commit leaves the old version serving with everything
 * intact, and the caller gets a `ReloadError`.
 */
export class PluginHost implements AsyncDisposable {
  readonly #core: HostCore;
  readonly #jobs: JobRunner;
  readonly #closer: CellCloser;
  readonly #running = new Set<Promise<unknown>>();
  /** The CDC streams `startCdc` made (closed ones are dropped when listed). */
  readonly #cdcStreams = new Set<ManagedCdcStream>();
  #closing: Promise<void> | undefined;

  constructor(options: PluginHostOptions = {}) {
    const { options: checked, settings } = checkHostOptions(options);
    const disciplines = DisciplineSet.builtin().with(...(checked.disciplines ?? []));
    this.#core = new HostCore(
      { ...settings, samples: checked.samples },
      disciplines,
      hostContainer(checked.container, checked.services),
      checked.journal,
    );
    this.#jobs = new JobRunner(this.#core, checked.runJobs ?? false);
    if (checked.logger !== false) attachLogger(this.#core.events, checked.logger ?? consoleLogger);
    this.#closer = (cell) => closeCell(this.#core, cell);
  }

  /** Adds a listener for a host event; returns the function that removes it. */
  on<E extends keyof HostEventMap>(event: E, listener: HostListener<E>): () => void {
    return this.#core.events.on(event, listener);
  }

  /** Loads a plugin that is not loaded yet. Its surfaces become visible atomically. */
  load(plugin: PluginDefinition, options: LoadOptions = {}): Promise<PluginInfo> {
    let checked: LoadOptions;
    try {
      checked = checkOperationOptions('load', options);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#track(loadSlot(this.#core, plugin, checked).then((info) => (this.#jobs.sync(), info)));
  }

  /**
   * Replaces a loaded plugin by `next` (same name) while it serves. Refused with `DEPENDENTS_BLOCK`
   * when other loaded plugins depend on it (use {@link PluginHost.reloadMany}).
   */
  reload(next: PluginDefinition, options: ReloadOptions = {}): Promise<ReloadResult> {
    return this.reloadMany([next], options);
  }

  /** Reloads several plugins as one transaction, in dependency order: all commit, or none does. */
  reloadMany(plugins: readonly PluginDefinition[], options: ReloadOptions = {}): Promise<ReloadResult> {
    const started = performance.now();
    let run: ReloadRun;
    try {
      const checked = checkOperationOptions('reload', options);
      run = new ReloadRun(this.#core, planReload(this.#core, plugins, checked), checked, started);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#track(run.execute().then((result) => (this.#jobs.sync(), result)));
  }

  /** Unloads a plugin: refused while others depend on it or its managed resources are open. */
  unload(name: string, options: UnloadOptions = {}): Promise<void> {
    let checked: UnloadOptions;
    try {
      checked = checkOperationOptions('unload', options);
      this.#core.assertOpen('unload');
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#track(
      unloadSlot(this.#core, name, checked).then(() => {
        this.#jobs.sync();
      }),
    );
  }

  /** The loaded plugins, in load order. */
  plugins(): PluginSummary[] {
    return [...this.#core.slots.values()].map((slot) => ({
      name: slot.name,
      version: slot.current.version,
      epoch: slot.current.info.epoch,
      dependsOn: slot.current.dependsOn,
      surfaces: [...slot.current.registrations].map(({ kind, key }) => ({ kind, key })),
      resources: [...slot.resources].map(({ kind, name }) => ({ kind, name })),
    }));
  }

  /** Reload statistics of a loaded plugin. */
  stats(name: string): PluginStats {
    return this.#core.slot(name, 'call').stats;
  }

  /**
   * Every provider of `kind` that serves now, with its key and plugin version (e.g. to rebuild a
   * logical-type registry after a reload: listen for `committed`, then read this). No lease is taken:
   * a provider's version may retire while you hold it, so read declarations, don't make calls.
   */
  unleasedProviders<K extends SurfaceKind>(
    kind: K,
  ): { readonly key: string; readonly provider: ProviderOf<K>; readonly plugin: PluginInfo }[] {
    return this.#core.registry
      .entries(kind)
      .map((entry) => ({ key: entry.key, provider: entry.provider as ProviderOf<K>, plugin: entry.version.info }));
  }

  /**
   * The provider of `kind`/`key` that serves now, without a lease: its version may retire while you
   * hold it. For declarations (a logical type's contract); make calls with `call` or `acquire`.
   */
  unleasedProvider<K extends SurfaceKind>(kind: K, key: string): ProviderOf<K> | undefined {
    return this.#core.registry.lookup(kind, key)?.provider as ProviderOf<K> | undefined;
  }

  /**
   * Calls `fn` with the provider of `kind`/`key` that serves now. The call runs entirely on that
   * version: a reload committing meanwhile retires the old version only after `fn` settles.
   */
  call<K extends SurfaceKind, T>(
    kind: K,
    key: string,
    fn: (provider: ProviderOf<K>, plugin: PluginInfo) => MaybePromise<T>,
  ): Promise<T> {
    const entry = this.#core.closed ? undefined : this.#core.registry.lookup(kind, key);
    return entry ? leasedCall(entry, fn) : Promise.reject(this.#notFound(kind, key));
  }

  /**
   * A resolved reference to `kind`/`key` for hot paths: `ref.call(fn)` behaves like `host.call` and
   * re-resolves only after a load, reload or unload.
   */
  surface<K extends SurfaceKind>(kind: K, key: string): SurfaceRef<K> {
    return SurfaceRef.of(this.#core, kind, key);
  }

  /** A lease on `kind`/`key`: keep it while using the provider; release it (or `using`) after. */
  acquire<K extends SurfaceKind>(kind: K, key: string): SurfaceLease<ProviderOf<K>> {
    const entry = this.#core.closed ? undefined : this.#core.registry.lookup(kind, key);
    if (!entry) throw this.#notFound(kind, key);
    return new ProviderLease(entry);
  }

  /** Builds an index (or reopens persisted bytes) as a managed handle that survives reloads. */
  async openIndex(raw: OpenIndexOptions): Promise<ManagedIndex> {
    const { name, key, signal, ...request } = checkOpenOptions('openIndex', raw);
    const { cell } = await this.#open<IndexHandle>('indexKind', key, name, signal, request);
    return ManagedIndex.attach(cell, this.#closer);
  }

  /** Starts a CDC stream as a managed handle that survives reloads (exactly once at the sink). */
  async startCdc(raw: StartCdcOptions): Promise<ManagedCdcStream> {
    const { name, key, signal, ...request } = checkOpenOptions('startCdc', raw);
    const cursor = new DeliveryCursor();
    const { cell, detail } = await this.#open<CdcStream>('cdcOutput', key, name, signal, request, () =>
      cursor.params(),
    );
    const start = detail['checkpointLsn'];
    if (typeof start === 'bigint') {
      cursor.deliveredEnd = start;
      cursor.checkpointed(start);
    }
    const stream = ManagedCdcStream.attach(cell, this.#closer, cursor);
    this.#cdcStreams.add(stream);
    return stream;
  }

  /** The managed CDC streams `startCdc` opened and nobody closed yet (e.g. to report their `lag`). */
  cdcStreams(): ManagedCdcStream[] {
    for (const stream of this.#cdcStreams) if (stream.closed) this.#cdcStreams.delete(stream);
    return [...this.#cdcStreams];
  }

  /** Opens a CRDT state (empty, or restored from bytes) as a managed handle that survives reloads. */
  async openCrdt<Op = unknown, Value = unknown>(raw: OpenCrdtOptions): Promise<ManagedCrdt<Op, Value>> {
    const { name, key, signal, ...request } = checkOpenOptions('openCrdt', raw);
    const { cell } = await this.#open<CrdtState<Op, Value>>('crdtKind', key, name, signal, request);
    return ManagedCrdt.attach<Op, Value>(cell, this.#closer);
  }

  /** Opens a storage at `location` as a managed handle that survives reloads. */
  async openStorage(raw: OpenStorageOptions): Promise<ManagedStorage> {
    const { name, key, signal, ...request } = checkOpenOptions('openStorage', raw);
    const { cell } = await this.#open<Storage>('storageBackend', key, name, signal, request);
    return ManagedStorage.attach(cell, this.#closer);
  }

  /**
   * Opens a resource of any surface kind with a discipline that hands resources over — a host's own
   * kind as much as a built-in one — as a managed handle: its discipline's `open` makes it from
   * `request` (or the caller's `make` does), and reloads hand it over with the discipline's
   * `handoff`, exactly as they do the built-in kinds.
   */
  async openResource<K extends SurfaceKind, R>(raw: OpenResourceOptions<K, R>): Promise<ManagedResource<R>> {
    const options = checkOpenOptions('openResource', raw);
    const discipline = this.#core.disciplines.require(options.kind);
    if (!discipline.handoff) {
      throw new ReloadError({
        code: 'INVALID_ARGUMENT',
        phase: 'call',
        kind: options.kind,
        message: `surface kind '${options.kind}' has no handoff: it has no live resources to manage`,
      });
    }
    const make = options.make;
    const { cell } = await openCell<R>(this.#core, {
      kind: options.kind,
      key: options.key,
      name: options.name,
      signal: options.signal,
      request: options.request ?? {},
      ...(make ? { make: (provider: unknown) => make(provider as ProviderOf<K>) } : {}),
      ...(options.params ? { handoffParams: options.params } : {}),
    });
    return ManagedResource.attach<R>(cell, this.#closer);
  }

  /** The one open every typed wrapper goes through: the kind's discipline makes the resource. */
  #open<R>(
    kind: string,
    key: string,
    name: string,
    signal: AbortSignal | undefined,
    request: unknown,
    handoffParams?: () => Readonly<Record<string, unknown>>,
  ): Promise<OpenedCell<R>> {
    return openCell<R>(this.#core, {
      kind,
      key,
      name,
      signal,
      request,
      ...(handoffParams ? { handoffParams } : {}),
    });
  }

  /** Runs one tick of background job `name` now. False when no plugin provides it. */
  runJob(name: string): Promise<boolean> {
    return this.#jobs.runOnce(name);
  }

  /**
   * Closes the host: waits for running loads and reloads, stops jobs, closes every managed resource
   * (CDC streams are checkpointed), and unloads every plugin, dependents first. Idempotent.
   */
  close(): Promise<void> {
    return (this.#closing ??= this.#close());
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #close(): Promise<void> {
    await Promise.allSettled([...this.#running]);
    this.#core.apply({ type: 'closed' });
    await this.#jobs.stop();
    const errors: unknown[] = [];
    for (const slot of this.#core.slots.values()) {
      for (const cell of [...slot.resources])
        await closeCell(this.#core, cell).catch((error: unknown) => errors.push(error));
    }
    const order = [...this.#core.slots.keys()];
    for (const name of order.reverse())
      await unloadSlot(this.#core, name, { force: true }).catch((error: unknown) => errors.push(error));
    if (errors.length > 0) {
      throw new ReloadError({
        code: 'HOST_CLOSED',
        phase: 'unload',
        message: `the host closed, but ${errors.length} resource(s) or plugin(s) failed to close`,
        cause: new AggregateError(errors),
      });
    }
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#running.add(promise);
    const done = (): void => void this.#running.delete(promise);
    promise.then(done, done);
    return promise;
  }

  #notFound(kind: string, key: string): ReloadError {
    if (this.#core.closed)
      return new ReloadError({ code: 'HOST_CLOSED', phase: 'call', kind, key, message: 'the plugin host is closed' });
    return new ReloadError({
      code: 'SURFACE_NOT_FOUND',
      phase: 'call',
      kind,
      key,
      message: `no loaded plugin provides ${kind} '${key}'`,
    });
  }
}

/** Makes a {@link PluginHost}. */
export function createPluginHost(options: PluginHostOptions = {}): PluginHost {
  return new PluginHost(options);
}

/** The parent of every version scope: `container` (or a child of the root), with `services` in a child of it. */
function hostContainer(
  container: DependencyContainer | undefined,
  services: Readonly<Record<string, unknown>> | undefined,
): DependencyContainer {
  const base = container ?? rootContainer.createChildContainer();
  if (services === undefined) return base;
  const withServices = base.createChildContainer();
  for (const [token, value] of Object.entries(services)) withServices.register(token, { useValue: value });
  return withServices;
}
