import { ReloadError } from '../errors/reloadError.js';
import type { ProviderOf, SurfaceKind } from '../surfaces/surfaceMap.js';
import type { MaybePromise } from '../util/maybePromise.js';
import { settleThenRelease } from '../util/settle.js';
import type { HostCore } from './hostCore.js';
import { ProviderLease } from './providerLease.js';
import type { SurfaceLease } from './providerLease.js';
import type { PluginInfo } from './scope.js';
import type { RegistryEntry } from './surfaceRegistry.js';

/**
 * Runs `fn` on `entry`'s provider under a lease on its version: the version retires only after `fn`
 * settles. The one call path of `host.call` and {@link SurfaceRef.call}.
 */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- P types the caller's callback
export function leasedCall<P, T>(
  entry: RegistryEntry,
  fn: (provider: P, plugin: PluginInfo) => MaybePromise<T>,
): Promise<T> {
  const version = entry.version;
  version.leases.acquire();
  let result: MaybePromise<T>;
  try {
    result = fn(entry.provider as P, version.info);
  } catch (error) {
    version.releaseLease();
    return Promise.reject(error);
  }
  return settleThenRelease(result, version.releaseLease);
}

/**
 * A resolved reference to one surface, for hot paths (an engine resolves its functions once per
 * query plan). Each call runs on the version that serves when it starts, exactly like
 * `host.call`, but the registry is consulted again only after a load, reload or unload.
 */
export class SurfaceRef<K extends SurfaceKind> {
  readonly #core: HostCore;
  #entry: RegistryEntry | undefined;
  #generation = -1;

  /** Made by `host.surface`, never by callers. */
  private constructor(
    core: HostCore,
    readonly kind: K,
    readonly key: string,
  ) {
    this.#core = core;
  }

  /** @internal The host's way to make a reference. */
  static of<K extends SurfaceKind>(core: HostCore, kind: K, key: string): SurfaceRef<K> {
    return new SurfaceRef(core, kind, key);
  }

  /**
   * The provider that serves now, or undefined — without a lease: its version may retire while you
   * use it. For inspection only; make calls with {@link SurfaceRef.call} or {@link SurfaceRef.acquire}.
   */
  get unleasedProvider(): ProviderOf<K> | undefined {
    return this.#resolve()?.provider as ProviderOf<K> | undefined;
  }

  /**
   * A lease on the provider that serves now, like `host.acquire` without the registry lookup. The
   * cheapest way to make a call on a hot path: hold the lease across the call and release it in the
   * caller's own continuation (`try { await lease.provider.invoke(args) } finally { lease.release() }`),
   * so no promise reaction is added to learn when the call ended. Throws `SURFACE_NOT_FOUND` or
   * `HOST_CLOSED` when nothing serves.
   */
  acquire(): SurfaceLease<ProviderOf<K>> {
    const entry = this.#resolve();
    if (!entry) throw this.#missing();
    return new ProviderLease(entry);
  }

  /**
   * Calls `fn` with the provider that serves now; the call runs entirely on that version. Baton
   * learns when an async `fn` settled from one promise reaction attached beside the caller's.
   */
  call<T>(fn: (provider: ProviderOf<K>, plugin: PluginInfo) => MaybePromise<T>): Promise<T> {
    const entry = this.#resolve();
    return entry ? leasedCall(entry, fn) : Promise.reject(this.#missing());
  }

  #resolve(): RegistryEntry | undefined {
    const registry = this.#core.registry;
    if (this.#generation !== registry.generation) {
      this.#entry = this.#core.closed ? undefined : registry.lookup(this.kind, this.key);
      this.#generation = registry.generation;
    }
    return this.#entry;
  }

  #missing(): ReloadError {
    if (this.#core.closed)
      return new ReloadError({
        code: 'HOST_CLOSED',
        phase: 'call',
        kind: this.kind,
        key: this.key,
        message: 'the plugin host is closed',
      });
    return new ReloadError({
      code: 'SURFACE_NOT_FOUND',
      phase: 'call',
      kind: this.kind,
      key: this.key,
      message: `no loaded plugin provides ${this.kind} '${this.key}'`,
    });
  }
}
