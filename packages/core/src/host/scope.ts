import 'reflect-metadata';
import type { DependencyContainer } from 'tsyringe';

/** What a version scope knows about its plugin version (resolvable as {@link PluginInfoToken}). */
export interface PluginInfo {
  readonly name: string;
  readonly version: string;
  /** Unique, increasing number of this loaded version within the host. */
  readonly epoch: number;
}

/** The tsyringe token under which a version scope resolves its {@link PluginInfo}. */
export const PluginInfoToken: unique symbol = Symbol.for('@baton/core.PluginInfo') as never;

/**
 * A version's own child container: host services registered on the parent resolve from it, and
 * instances registered or created in it belong to that version and are disposed when it retires.
 */
export function createVersionScope(parent: DependencyContainer, info: PluginInfo): DependencyContainer {
  const scope = parent.createChildContainer();
  scope.register(PluginInfoToken, { useValue: info });
  return scope;
}

/** Disposes a version scope (calls `dispose()` of its disposable instances). Never throws. */
export async function disposeScope(scope: DependencyContainer): Promise<unknown> {
  try {
    await scope.dispose();
    return undefined;
  } catch (error) {
    return error;
  }
}
