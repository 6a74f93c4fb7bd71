import { definePlugin } from '../host/pluginDefinition.js';
import type { PluginDefinition } from '../host/pluginDefinition.js';
import type { Registrar } from '../host/registrar.js';
import type { CrdtKindProvider } from '../surfaces/crdtKind.js';
import type { CdcFaults, IndexFaults, IndexLedger } from './fixtures.js';
import { MemorySink, counterV1, fixtureCdcOutput, fixtureIndexKind, versionFunction } from './fixtures.js';

/** Shared state of every version of the test plugin (a sink "on disk", a ledger of handles). */
export interface World {
  readonly sink: MemorySink;
  readonly ledger: IndexLedger;
  readonly calls: { version: string; phase: 'start' | 'end' }[];
  /** Faults of version 1 (the one `setUp` loads), changeable between steps. */
  readonly faults: { readonly index: IndexFaults; readonly cdc: CdcFaults };
}

export function world(): World {
  return { sink: new MemorySink(), ledger: { handles: [] }, calls: [], faults: { index: {}, cdc: {} } };
}

export interface PluginOptions {
  readonly index?: IndexFaults;
  readonly cdc?: CdcFaults;
  /**
   * Each call of the scalar function awaits what this returns (when it returns a promise) between
   * its start and its end: a latch the test releases (see `versionFunction`).
   */
  readonly holdCalls?: () => Promise<void> | undefined;
  /** Replaces the counter CRDT of format 1. */
  readonly crdt?: CrdtKindProvider;
  readonly register?: (r: Registrar) => void | Promise<void>;
  readonly dependsOn?: readonly string[];
  readonly name?: string;
}

/** The test plugin: a scalar function, an index kind, a CDC output and a counter CRDT. */
export function testPlugin(version: string, w: World, options: PluginOptions = {}): PluginDefinition {
  return definePlugin({
    name: options.name ?? 'engine',
    version,
    ...(options.dependsOn ? { dependsOn: options.dependsOn } : {}),
    async register(r) {
      r.scalarFunction(versionFunction(version, w.calls, options.holdCalls));
      r.indexKind(fixtureIndexKind(version, w.ledger, options.index ?? (version === '1.0.0' ? w.faults.index : {})));
      r.cdcOutput(fixtureCdcOutput(version, w.sink, options.cdc ?? (version === '1.0.0' ? w.faults.cdc : {})));
      r.crdtKind(
        options.crdt ??
          counterV1(() => [
            [
              { replica: 'a', by: 1 },
              { replica: 'b', by: 2 },
            ],
          ]),
      );
      await options.register?.(r);
    },
  });
}

/** A plugin with only a scalar function. */
export function bare(name: string, version: string, dependsOn?: readonly string[]): PluginDefinition {
  return definePlugin({
    name,
    version,
    ...(dependsOn ? { dependsOn } : {}),
    register(r) {
      r.scalarFunction({ ...versionFunction(version), name: `${name}.version` });
    },
  });
}
