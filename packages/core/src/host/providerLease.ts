import type { PluginInfo } from './scope.js';
import type { PluginVersion } from './pluginVersion.js';
import type { RegistryEntry } from './surfaceRegistry.js';

/** A lease on one surface: its provider stays usable (its version is not retired) until released. */
export interface SurfaceLease<P> extends Disposable {
  readonly provider: P;
  readonly plugin: PluginInfo;
  /** Releases the lease (idempotent). `using` releases it too. */
  release(): void;
}

/**
 * The one implementation of {@link SurfaceLease}, made by `host.acquire` and `SurfaceRef.acquire`:
 * counts one use of `entry`'s version from construction until the first `release`. One small
 * object per lease and no closure, so a lease taken around every call of a hot loop costs two
 * counter updates.
 */
export class ProviderLease<P> implements SurfaceLease<P> {
  readonly provider: P;
  readonly plugin: PluginInfo;
  #version: PluginVersion | undefined;

  constructor(entry: RegistryEntry) {
    const version = entry.version;
    version.leases.acquire();
    this.provider = entry.provider as P;
    this.plugin = version.info;
    this.#version = version;
  }

  release(): void {
    const version = this.#version;
    if (version === undefined) return;
    this.#version = undefined;
    version.leases.release();
  }

  [Symbol.dispose](): void {
    this.release();
  }
}
