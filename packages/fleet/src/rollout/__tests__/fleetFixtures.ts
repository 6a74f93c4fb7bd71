/** Test fixtures of the fleet's tests: an engine plugin, hosts, and waiting for a condition. */
import { createPluginHost, definePlugin } from '@baton/core';
import type { PluginDefinition, PluginHost } from '@baton/core';
import { lowerFunction } from '@baton/kinds';

/** The plugin every test member serves: one scalar function; `fail` makes its `register()` throw. */
export function enginePlugin(version: string, options: { readonly fail?: string } = {}): PluginDefinition {
  return definePlugin({
    name: 'engine',
    version,
    register(r) {
      if (options.fail !== undefined) throw new Error(options.fail);
      r.scalarFunction(lowerFunction());
    },
  });
}

/** A host serving `engine` at `version` (close it with `await using`). */
export async function engineHost(version: string): Promise<PluginHost> {
  const host = createPluginHost({ logger: false });
  await host.load(enginePlugin(version));
  return host;
}

/** One call on the host's `engine` (its `calls` figure counts it). */
export async function callEngine(host: PluginHost): Promise<void> {
  await host.call('scalarFunction', 'lower', () => undefined);
}

/**
 * Resolves once `check` returns a value other than `undefined` (checked at once, then every 10 ms),
 * or rejects after `timeoutMs` with `what` — a wait for a condition, never a fixed sleep.
 */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
