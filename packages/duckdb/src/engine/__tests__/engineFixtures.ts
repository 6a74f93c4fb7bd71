import { expect } from 'vitest';
import { Int64, Utf8, vectorFromArray } from 'apache-arrow';
import type { DataType, Vector } from 'apache-arrow';
import { createPluginHost, definePlugin } from '@baton/core';
import type { PluginDefinition, PluginHost, ScalarFunctionProvider } from '@baton/core';
import { BatonDuckDB } from '../batonDuckDB.js';

/** A matcher for a `ReloadError` with `code` (and a message containing `text`). */
export function typedError(code: string, text?: string): Record<string, unknown> {
  const message: unknown = text === undefined ? undefined : expect.stringContaining(text);
  const matcher: unknown = expect.objectContaining(message === undefined ? { code } : { code, message });
  return matcher as Record<string, unknown>;
}

/** A scalar function provider from a name, its types and an invoke. */
export function scalar(
  name: string,
  argumentTypes: readonly DataType[] | undefined,
  returnType: DataType,
  invoke: (args: readonly Vector[]) => unknown,
): ScalarFunctionProvider {
  return {
    name,
    ...(argumentTypes ? { argumentTypes } : {}),
    returnType,
    invoke: invoke as ScalarFunctionProvider['invoke'],
  };
}

/** `plugin_version(BIGINT) → VARCHAR`: the version of the plugin that computed each row. */
export function versionFunction(version: string, onChunk?: () => void): ScalarFunctionProvider {
  return scalar('plugin_version', [new Int64()], new Utf8(), ([rows]) => {
    onChunk?.();
    return vectorFromArray(
      Array.from({ length: rows!.length }, () => version),
      new Utf8(),
    );
  });
}

/** A plugin named `name` at `version` registering `providers`. */
export function pluginOf(name: string, version: string, ...providers: ScalarFunctionProvider[]): PluginDefinition {
  return definePlugin({
    name,
    version,
    register(r) {
      for (const provider of providers) r.scalarFunction(provider);
    },
  });
}

/** A host with `plugin` loaded and an in-memory engine over it; closing it closes both. */
export async function engineWith(
  ...plugins: PluginDefinition[]
): Promise<{ host: PluginHost; engine: BatonDuckDB } & AsyncDisposable> {
  const host = createPluginHost({ drainTimeoutMs: 10_000 });
  for (const plugin of plugins) await host.load(plugin);
  const engine = await BatonDuckDB.open({ host });
  return {
    host,
    engine,
    async [Symbol.asyncDispose]() {
      await engine.close();
      await host.close();
    },
  };
}
