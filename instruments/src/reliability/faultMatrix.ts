import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { definePlugin } from '@baton/core';
import type { PluginDefinition } from '@baton/core';
import { fileCdcOutput, flatVectorIndex, gCounter, lowerFunction, readFileSink } from '@baton/kinds';
import { ReloadHarness, describeFault, faultStepKinds, faultSteps, harnessCalls, vectorBatch } from '@baton/testing';
import type { FaultMode, FaultPlan, HarnessResources } from '@baton/testing';
import { Utf8, vectorFromArray } from 'apache-arrow';
import fc from 'fast-check';

/** One cell of the matrix: a fault plan, how often it ran and fired, and what the reloads answered. */
export interface MatrixCell {
  readonly plan: FaultPlan;
  readonly cases: number;
  readonly fired: number;
  readonly codes: Readonly<Record<string, number>>;
}

/** What the whole matrix found. */
export interface FaultMatrixResult {
  readonly cells: readonly MatrixCell[];
  readonly cases: number;
  readonly faultsInjected: number;
  readonly calls: number;
  readonly failures: readonly string[];
}

function plugin(version: string, directory: string): PluginDefinition {
  return definePlugin({
    name: 'engine',
    version,
    register(r) {
      r.scalarFunction(lowerFunction());
      r.indexKind(flatVectorIndex());
      r.cdcOutput(fileCdcOutput({ name: 'audit', directory, bufferBytes: 128 }));
      r.crdtKind(version === '1.0.0' ? gCounter() : gCounter({ format: 2 }));
    },
  });
}

const vectors = Float32Array.from({ length: 40 * 4 }, (_, i) => Math.sin(i * 1.7));
const resources: HarnessResources = {
  index: {
    key: 'flat-vector',
    source: vectorBatch('embedding', 4, vectors),
    column: 'embedding',
    queries: [vectorBatch('vector', 4, vectors.slice(0, 8))],
    k: 3,
  },
  cdc: { key: 'audit' },
  crdt: {
    key: 'g-counter',
    ops: [
      { replica: 'h', by: 1 },
      { replica: 'h', by: 4 },
    ],
  },
  call: {
    kind: 'scalarFunction',
    key: 'lower',
    invoke: (f: { invoke(a: unknown[]): unknown }) => f.invoke([vectorFromArray(['A'], new Utf8())]),
  },
};

/**
 * Every reload step × every way to fail (throw, reject, hang, abort, garbage where a value is used),
 * each under several generated interleavings of concurrent calls, through the `ReloadHarness` of
 * @baton/testing: a fault must fail the reload with a `ReloadError` naming the step and kind, no call
 * may fail, and the old version must keep serving with its resources intact.
 */
export async function runFaultMatrix(interleavings: number, seed = 1): Promise<FaultMatrixResult> {
  const harness = new ReloadHarness({
    setup: async () => {
      const directory = await mkdtemp(join(tmpdir(), 'baton-matrix-'));
      return {
        old: plugin('1.0.0', directory),
        next: plugin('2.0.0', directory),
        readSink: async () => (await readFileSink(directory)).batches,
        dispose: () => rm(directory, { recursive: true, force: true }),
      };
    },
    resources,
    host: { stepTimeoutMs: 200, prepareTimeoutMs: 200, compatTimeoutMs: 1_000 },
  });
  const modes: FaultMode[] = ['throw', 'reject', 'hang', 'abort', 'garbage'];
  const unused = new Set(['register', 'shutdown']); // steps whose return value is not used: garbage is no fault there
  const cells: MatrixCell[] = [];
  const failures: string[] = [];
  let calls = 0;
  const schedules = fc.sample(
    fc.tuple(fc.scheduler(), harnessCalls({ index: 1, cdc: true, crdt: 2, call: true }, 10)),
    { numRuns: interleavings * 64, seed },
  );
  let next = 0;
  const present = new Set(['indexKind', 'crdtKind', 'cdcOutput']); // the kinds the harness plugin has
  const targets = faultSteps.flatMap((step) => {
    const kinds = faultStepKinds[step].filter((k) => present.has(k));
    return kinds.length === 0 ? [{ step }] : kinds.map((kind) => ({ step, kind }));
  });
  for (const target of targets) {
    const step = target.step;
    for (const mode of modes) {
      if (mode === 'garbage' && unused.has(step)) continue;
      const plan: FaultPlan = { ...target, mode };
      const codes: Record<string, number> = {};
      let fired = 0;
      for (let i = 0; i < interleavings; i++) {
        const [scheduler, workload] = schedules[next++ % schedules.length]!;
        try {
          const result = await harness.runCase(scheduler, workload, plan);
          if (result.fired) fired++;
          calls += result.calls;
          codes[result.code ?? 'committed'] = (codes[result.code ?? 'committed'] ?? 0) + 1;
        } catch (error) {
          failures.push(
            `${describeFault(plan)}: ${error instanceof Error ? error.message.split('\n').slice(0, 3).join(' | ') : String(error)}`,
          );
        }
      }
      cells.push({ plan, cases: interleavings, fired, codes });
    }
  }
  return {
    cells,
    cases: cells.reduce((n, c) => n + c.cases, 0),
    faultsInjected: cells.reduce((n, c) => n + c.fired, 0),
    calls,
    failures,
  };
}
