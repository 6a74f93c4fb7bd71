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

/**
 * Ends a version scope: runs its retire hooks (last registered first), then disposes the container
 * (its constructed instances with `dispose()`). Never throws: returns the errors, if any.
 */
export async function disposeScope(
  scope: DependencyContainer,
  hooks: readonly (() => unknown)[] = [],
): Promise<unknown[]> {
  const errors: unknown[] = [];
  for (const hook of [...hooks].reverse()) {
    try {
      await hook();
    } catch (error) {
      errors.push(error);
    }
  }
  try {
    await scope.dispose();
  } catch (error) {
    errors.push(error);
  }
  return errors;
}
