import { createPluginHost, definePlugin, isReloadError } from '@baton/core';
import type { PluginDefinition } from '@baton/core';
import { CdcPosition, callbackCdcOutput, flatVectorIndex, gCounter, lowerFunction } from '@baton/kinds';
import { Utf8, tableFromArrays, vectorFromArray } from 'apache-arrow';
import { FaultSwitch, vectorBatch, withFaults } from '@baton/testing';
import type { FaultPlan } from '@baton/testing';
import { settledHeap } from './heap.js';

/** Options of {@link runLoadTrial}. */
export interface LoadTrialOptions {
  readonly callers: number;
  readonly reloads: number;
  /** Every n-th reload is a version built to fail (default 5). */
  readonly failEvery?: number;
}

/** What a load trial saw. */
export interface LoadTrialResult {
  readonly callers: number;
  readonly calls: number;
  readonly failedCalls: number;
  readonly reloadsCommitted: number;
  readonly reloadsRefused: number;
  readonly cdcDelivered: number;
  readonly cdcAtSink: number;
  /** Heap after the reloads minus before, after the old versions retired, in KiB. */
  readonly heapGrowthKiB: number;
  readonly errors: readonly string[];
}

/** The faults the failing reloads are built with, in turn (injected by @baton/testing's fault kit). */
const failures: readonly FaultPlan[] = [
  { step: 'register', mode: 'throw' },
  { step: 'compat', mode: 'throw', kind: 'crdtKind' },
  { step: 'adopt', mode: 'reject', kind: 'indexKind' }, // the index moves by reference before the pause
];

/** Version `1.n.0` of the load plugin; `faults` makes it fail at the step armed for its reload. */
function version(n: number, sink: { batches: number; position: CdcPosition }, faults: FaultSwitch): PluginDefinition {
  const plugin = definePlugin({
    name: 'load',
    version: `1.${n}.0`,
    register(r) {
      r.scalarFunction(lowerFunction());
      r.indexKind(flatVectorIndex());
      r.cdcOutput(
        callbackCdcOutput({
          name: 'feed',
          position: sink.position,
          onBatch: () => {
            sink.batches++;
          },
        }),
      );
      r.crdtKind(gCounter());
    },
  });
  return withFaults(plugin, faults);
}

/**
 * Concurrent callers — clean calls, index probes, CDC deliveries and CRDT updates — run against a host
 * through `reloads` consecutive reloads, every `failEvery`-th of them built to fail (at registration,
 * compat or an index open, in turn). Counts failed calls (there must be none) and measures the heap
 * before and after, with the callers stopped and the old versions retired.
 */
export async function runLoadTrial(options: LoadTrialOptions): Promise<LoadTrialResult> {
  const sink = { batches: 0, position: new CdcPosition(0n) };
  const faults = new FaultSwitch();
  const host = createPluginHost({ queueLimit: options.callers * 2, drainTimeoutMs: 30_000 });
  await host.load(version(0, sink, faults));
  let serving = '1.0.0';
  const vectors = Float32Array.from({ length: 200 * 8 }, (_, i) => Math.sin(i));
  const index = await host.openIndex({
    name: 'vectors',
    key: 'flat-vector',
    source: vectorBatch('v', 8, vectors),
    column: 'v',
  });
  const feed = await host.startCdc({ name: 'feed', key: 'feed', fromLsn: 0n });
  const counter = await host.openCrdt({ name: 'hits', key: 'g-counter' });
  const query = vectorBatch('vector', 8, vectors.subarray(0, 8));
  const names = vectorFromArray(['A', 'B'], new Utf8());
  const lower = host.surface('scalarFunction', 'lower');
  const errors: string[] = [];
  let calls = 0;
  let failedCalls = 0;
  let lsn = 0n;
  let delivered = 0;
  let n = 0;

  const phase = async (reloads: number): Promise<{ committed: number; refused: number }> => {
    let stop = false;
    let committed = 0;
    let refused = 0;
    const caller = async (c: number): Promise<void> => {
      for (let i = 0; !stop; i++) {
        try {
          switch ((c + i) % 4) {
            case 0:
              await lower.call((f) => f.invoke([names]));
              break;
            case 1:
              await index.probe(query, 3);
              break;
            case 2: {
              const start = lsn;
              lsn += 1n;
              delivered++;
              await feed.deliver({
                lsnStart: start,
                lsnEnd: start + 1n,
                mutations: tableFromArrays({ id: Int32Array.of(c) }).batches[0]!,
                commitTimestamp: 0,
              });
              break;
            }
            default:
              await counter.apply({ replica: `c${c % 64}`, by: 1 });
          }
          calls++;
        } catch (error) {
          failedCalls++;
          if (errors.length < 5) errors.push(String(error));
        }
        if (i % 8 === 7) await new Promise((r) => setImmediate(r));
      }
    };
    const running = Array.from({ length: options.callers }, (_, c) => caller(c));
    for (let r = 0; r < reloads; r++) {
      n++;
      const every = options.failEvery ?? 5;
      const fail = n % every === 0 ? failures[(n / every) % failures.length] : undefined;
      const next = version(n, sink, faults);
      faults.arm(fail, { old: serving, next: next.version });
      try {
        await (
          await host.reload(next)
        ).retired;
        serving = next.version;
        committed++;
      } catch (error) {
        if (!isReloadError(error) || fail === undefined || faults.fired === undefined)
          errors.push(`reload ${n}: ${String(error)}`);
        refused++;
      }
    }
    stop = true;
    await Promise.all(running);
    return { committed, refused };
  };

  await phase(Math.min(10, options.reloads)); // warm up the JIT and the pools
  const before = settledHeap();
  const { committed, refused } = await phase(options.reloads);
  const after = settledHeap();
  await feed.checkpoint();
  await host.close();
  return {
    callers: options.callers,
    calls,
    failedCalls,
    reloadsCommitted: committed,
    reloadsRefused: refused,
    cdcDelivered: delivered,
    cdcAtSink: sink.batches,
    heapGrowthKiB: +((after - before) / 1024).toFixed(1),
    errors,
  };
}
