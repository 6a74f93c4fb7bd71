/**
 * The constant client load on a member's scalar function: `clients` loops, each calling `score`
 * through a `SurfaceRef` every `intervalMs` with an 8-row Int32 vector and checking every answer
 * (score(x) = 2x + 1). Every call is counted; a call that throws or answers wrong is a failed call
 * (the trial's failure), with the first such error kept.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { makeVector } from 'apache-arrow';
import type { Vector } from 'apache-arrow';
import type { PluginHost, ScalarFunctionProvider } from '@baton/core';
import { SCORE_FUNCTION } from './trialPlugin.js';

/** What the clients did. */
export interface ClientCounts {
  calls: number;
  failed: number;
  firstError: string | undefined;
}

/** Running clients: their counts, and `stop()` that resolves once every loop ended. */
export interface ClientLoad {
  readonly counts: ClientCounts;
  stop(): Promise<void>;
}

const INPUT = Int32Array.from({ length: 8 }, (_, i) => i * 7 - 3);

/** Starts `clients` loops calling the host's `score` function every `intervalMs`. */
export function startClients(host: PluginHost, options: { clients: number; intervalMs: number }): ClientLoad {
  const counts: ClientCounts = { calls: 0, failed: 0, firstError: undefined };
  const ref = host.surface('scalarFunction', SCORE_FUNCTION);
  const input = makeVector(INPUT);
  const stop = new AbortController();
  const fail = (message: string): void => {
    counts.failed++;
    counts.firstError ??= message;
  };
  const one = async (): Promise<void> => {
    while (!stop.signal.aborted) {
      counts.calls++;
      try {
        const out = await ref.call((f: ScalarFunctionProvider) => f.invoke([input]) as Promise<Vector>);
        for (let i = 0; i < INPUT.length; i++)
          if (out.get(i) !== 2 * INPUT[i]! + 1) {
            fail(`score(${INPUT[i]}) answered ${String(out.get(i))}`);
            break;
          }
      } catch (error) {
        fail(error instanceof Error ? error.message : String(error));
      }
      await delay(options.intervalMs).catch(() => undefined);
    }
  };
  const loops = Array.from({ length: options.clients }, () => one());
  return {
    counts,
    async stop() {
      stop.abort();
      await Promise.all(loops);
    },
  };
}
