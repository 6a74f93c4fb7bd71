import { Int32, Utf8, vectorFromArray } from 'apache-arrow';
import type { RecordBatch, Vector } from 'apache-arrow';
import { Bench } from 'tinybench';
import { createPluginHost, definePlugin } from '@baton/core';
import type { CrdtState, IndexHandle, MaybePromise, ScalarFunctionProvider } from '@baton/core';
import { flatVectorIndexKind, gCounter, lowerFunction } from '@baton/kinds';
import type { GCounterOp } from '@baton/kinds';
import type { BenchRow, GoalSection } from './results.js';
import { median } from './stats.js';
import { queryBatch, VECTOR_COLUMN, vectorTable } from './vectorData.js';

/** Options of {@link benchCallOverhead}. */
export interface CallOverheadOptions {
  /** Rounds; each runs every variant once for `msPerTask` (interleaved). */
  readonly rounds: number;
  readonly msPerTask: number;
}

/** A variant: `calls` calls per timed sample (so the harness's own cost is spread over many calls). */
interface Variant {
  readonly calls: number;
  readonly run: () => Promise<void>;
}

const GOAL = { on: 'ratio', cmp: '<=', value: 1.2 } as const;

/**
 * Goal 1: the cost of a call through Baton when nothing is reloading, against a direct call of the
 * same async function, for a no-op function (the worst case: nothing to hide the overhead behind)
 * and for realistic calls. Each timed sample runs many sequential awaited calls, so the figure is
 * the cost of a call, not of the timer around it.
 */
export async function benchCallOverhead(options: CallOverheadOptions): Promise<Omit<GoalSection, 'seconds'>> {
  const result = vectorFromArray([1], new Int32());
  const noop: ScalarFunctionProvider = { name: 'noop', returnType: new Int32(), invoke: async () => result };
  const lower = lowerFunction();
  const names = [
    vectorFromArray(
      Array.from({ length: 64 }, (_, i) => `Name-${i} ÄÖÜ`),
      new Utf8(),
    ),
  ];
  const noArgs: Vector[] = [];
  // Capture the handle and the state the host makes, so the direct calls go to the very same objects.
  let handle: IndexHandle | undefined;
  let state: CrdtState<GCounterOp, number> | undefined;
  const index = flatVectorIndexKind();
  const host = createPluginHost();
  await host.load(
    definePlugin({
      name: 'bench-calls',
      version: '1.0.0',
      register(r) {
        r.scalarFunction(noop).scalarFunction(lower);
        r.indexKind({
          kind: index.kind,
          open: (b, o) => index.open(b, o),
          build: (s, o) => (handle = index.build(s, o)),
        });
        r.crdtKind({ ...gCounter, empty: () => (state = gCounter.empty()) });
      },
    }),
  );
  const managedIndex = await host.openIndex({
    name: 'i',
    kind: index.kind,
    source: vectorTable(1024, 64),
    column: VECTOR_COLUMN,
  });
  const managedCrdt = await host.openCrdt<GCounterOp, number>({ name: 'c', kind: gCounter.kind });
  if (!handle || !state) throw new Error('the plugin did not build the index or the CRDT state');
  const [directIndex, directState] = [handle, state];
  const query: RecordBatch = queryBatch(1, 64);
  const op: GCounterOp = { replica: 'r', by: 1 };
  const noopRef = host.surface('scalarFunction', 'noop');
  const lowerRef = host.surface('scalarFunction', 'lower');
  const invokeNoop = (f: ScalarFunctionProvider): MaybePromise<Vector> => f.invoke(noArgs);
  const invokeLower = (f: ScalarFunctionProvider): MaybePromise<Vector> => f.invoke(names);
  let inFlight = 0;
  const release = (): void => void inFlight--;

  const loop = (calls: number, call: () => unknown): Variant => ({
    calls,
    run: async () => {
      for (let i = 0; i < calls; i++) await call();
    },
  });
  const variants = {
    directNoop: loop(1000, () => noop.invoke(noArgs)),
    refNoop: loop(1000, () => noopRef.call(invokeNoop)),
    hostNoop: loop(1000, () => host.call('scalarFunction', 'noop', invokeNoop)),
    acquireNoop: loop(1000, async () => {
      const lease = host.acquire('scalarFunction', 'noop');
      try {
        await lease.provider.invoke(noArgs);
      } finally {
        lease.release();
      }
    }),
    heldLeaseNoop: {
      calls: 1000,
      run: async () => {
        const lease = host.acquire('scalarFunction', 'noop');
        try {
          for (let i = 0; i < 1000; i++) await lease.provider.invoke(noArgs);
        } finally {
          lease.release();
        }
      },
    },
    floorNoop: loop(1000, () => {
      inFlight++;
      const p = noop.invoke(noArgs) as Promise<Vector>;
      p.then(release, release);
      return p;
    }),
    directCrdt: loop(1000, () => directState.apply(op)),
    managedCrdt: loop(1000, () => managedCrdt.apply(op)),
    directLower: loop(100, () => lower.invoke(names)),
    refLower: loop(100, () => lowerRef.call(invokeLower)),
    directProbe: loop(10, () => directIndex.probe(query, 10)),
    managedProbe: loop(10, () => managedIndex.probe(query, 10)),
  } satisfies Record<string, Variant>;
  type Name = keyof typeof variants;
  const nsPerCall = await perCall(variants, options);
  const perSample = await perSampleNoop(
    () => noop.invoke(noArgs),
    () => noopRef.call(invokeNoop),
    options.msPerTask * 2,
  );
  await host.close();

  const row = (name: string, baton: Name, baseline: Name, label: string, goal: boolean, note?: string): BenchRow => ({
    name,
    baton: nsPerCall[baton],
    baseline: nsPerCall[baseline],
    unit: 'ns/call',
    baselineLabel: label,
    ratio: nsPerCall[baton] / nsPerCall[baseline],
    ...(goal ? { target: GOAL } : {}),
    ...(note === undefined ? {} : { note }),
  });
  const direct = 'direct call';
  const rows: BenchRow[] = [
    row('no-op async fn, SurfaceRef.call', 'refNoop', 'directNoop', direct, true),
    row('no-op async fn, host.call', 'hostNoop', 'directNoop', direct, false, 'registry lookup per call'),
    row('no-op async fn, host.acquire + release per call', 'acquireNoop', 'directNoop', direct, false),
    row('no-op async fn, one lease held over 1000 calls', 'heldLeaseNoop', 'directNoop', direct, false),
    row('floor: bare p.then(release) per call', 'floorNoop', 'directNoop', direct, false, 'no Baton code'),
    row('ManagedCrdt.apply, g-counter', 'managedCrdt', 'directCrdt', 'direct apply, same state', true),
    row('lower() of 64 strings, SurfaceRef.call', 'refLower', 'directLower', direct, true),
    row('ManagedIndex.probe, 1024 × 64, k = 10', 'managedProbe', 'directProbe', 'direct probe, same handle', true),
    {
      name: 'no-op async fn, SurfaceRef.call, one call per sample',
      note: 'tinybench default: timer + harness in every sample',
      baton: perSample.baton,
      baseline: perSample.direct,
      unit: 'ns/call',
      baselineLabel: direct,
      ratio: perSample.baton / perSample.direct,
    },
  ];
  const floor = nsPerCall.floorNoop - nsPerCall.directNoop;
  const overhead = nsPerCall.refNoop - nsPerCall.directNoop;
  return {
    id: 1,
    title: 'Call overhead when nothing is reloading',
    goal: 'a call through a managed handle / lease vs a direct call of the same async function: ≤ 1.2×.',
    ratioOf: 'Baton / direct (time per call)',
    appliesTo:
      'the worst case of each path — a no-op async function through the resolved lease path ' +
      '(`SurfaceRef.call`, the hot path `host.surface` exists for; the row the maintainer measured at ≈1.18–1.20×) ' +
      'and `ManagedCrdt.apply` on a G-Counter (a gated managed handle whose operation costs almost nothing) — ' +
      'and two realistic calls (`lower()` through `SurfaceRef.call`, `ManagedIndex.probe`). The no-op rows are ' +
      'where the overhead shows; the realistic rows are what an engine sees. Other rows are reported only.',
    rows,
    findings: [
      `Each timed sample runs 1000 sequential awaited calls (100 for lower(), 10 for probes), interleaved over ${options.rounds} rounds; figures are medians.`,
      `SurfaceRef.call adds ${overhead.toFixed(0)} ns to a no-op call; a bare \`p.then(release, release)\` on the same promise, ` +
        `with no Baton code at all, adds ${floor.toFixed(0)} ns (${(nsPerCall.floorNoop / nsPerCall.directNoop).toFixed(2)}×). ` +
        'That reaction is the least any design can do to learn when an async call has finished (what lets the old ' +
        'version retire after its last call), so on a no-op function no implementation of the contract reaches 1.2×.',
      `Measured the way the maintainer did (tinybench, one call per sample), the same two calls give ` +
        `${perSample.direct.toFixed(0)} ns and ${perSample.baton.toFixed(0)} ns (${(perSample.baton / perSample.direct).toFixed(2)}×): ` +
        'the timer and the harness add the same ~100+ ns to both sides and shrink the ratio, not the overhead.',
    ],
    measuredAt: new Date().toISOString(),
  };
}

/** Median nanoseconds per call of each variant, over interleaved tinybench rounds. */
async function perCall<K extends string>(
  variants: Readonly<Record<K, Variant>>,
  options: CallOverheadOptions,
): Promise<Record<K, number>> {
  const names = Object.keys(variants) as K[];
  const samples = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<K, number[]>;
  for (let round = 0; round < options.rounds; round++) {
    const bench = new Bench({ time: options.msPerTask, warmupTime: round === 0 ? 200 : 20, throws: true });
    for (const name of round % 2 === 0 ? names : [...names].reverse()) bench.add(name, variants[name].run);
    await bench.run();
    for (const task of bench.tasks) {
      const result = task.result;
      if (result.state !== 'completed') throw new Error(`bench task ${task.name} ended ${result.state}`);
      const name = task.name as K;
      samples[name].push((result.latency.p50 * 1e6) / variants[name].calls);
    }
  }
  return Object.fromEntries(names.map((n) => [n, median(samples[n])])) as Record<K, number>;
}

/** The maintainer's method: tinybench with one awaited call per sample (harness cost included). */
async function perSampleNoop(
  direct: () => unknown,
  baton: () => unknown,
  ms: number,
): Promise<{ direct: number; baton: number }> {
  const bench = new Bench({ time: ms, warmupTime: 100, throws: true });
  bench.add('direct', async () => {
    await direct();
  });
  bench.add('baton', async () => {
    await baton();
  });
  await bench.run();
  const p50 = (name: string): number => {
    const result = bench.getTask(name)?.result;
    if (result?.state !== 'completed') throw new Error(`bench task ${name} did not complete`);
    return result.latency.p50 * 1e6;
  };
  return { direct: p50('direct'), baton: p50('baton') };
}
