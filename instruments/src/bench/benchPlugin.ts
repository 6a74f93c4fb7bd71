import { Int32 } from 'apache-arrow';
import type { Vector } from 'apache-arrow';
import { definePlugin } from '@baton/core';
import type { PluginDefinition, ScalarFunctionProvider } from '@baton/core';
import { gCounter, flatVectorIndex } from '@baton/kinds';
import { fakeCdcOutput } from './fakeCdc.js';

/** Name of the bench plugin. */
export const BENCH_PLUGIN = 'bench-engine';
/** Key of the bench plugin's CDC output. */
export const BENCH_CDC = 'bench-cdc';

/** Options of {@link benchPlugin}. */
export interface BenchPluginOptions {
  /** Milliseconds each CDC checkpoint takes (default 1). */
  readonly checkpointMs?: number;
  /** CDC streams move in memory on reload (`detach` → `adopt`; default false: checkpoint → shutdown → start). */
  readonly cdcTakeover?: boolean;
}

/**
 * `echo(x) → x`, asynchronous: a scalar function whose cost is the call itself, so a bench of calls
 * through the host measures the host.
 */
function echoFunction(): ScalarFunctionProvider {
  return {
    name: 'echo',
    returnType: new Int32(),
    invoke: async (args: readonly Vector[]): Promise<Vector> => {
      const first = args[0];
      if (first === undefined) throw new Error('echo takes one argument');
      return first;
    },
  };
}

/**
 * One version of the bench plugin: an `echo` scalar function, a G-Counter CRDT kind, a CDC output
 * of fake streams (checkpoint `checkpointMs`) and the flat-vector index kind. Every call makes new
 * provider instances, as loading a new plugin version would, so a reload really hands every live
 * resource over (and checks CRDT compat on reachable states).
 */
export function benchPlugin(version: string, options: BenchPluginOptions = {}): PluginDefinition {
  const checkpointMs = options.checkpointMs ?? 1;
  return definePlugin({
    name: BENCH_PLUGIN,
    version,
    register(r) {
      r.scalarFunction(echoFunction());
      r.crdtKind(gCounter());
      r.cdcOutput(fakeCdcOutput(BENCH_CDC, checkpointMs, options.cdcTakeover ?? false));
      r.indexKind(flatVectorIndex());
    },
  });
}
