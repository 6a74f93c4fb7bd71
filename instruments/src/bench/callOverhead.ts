import { Bench } from 'tinybench';
import { callVariants } from './callVariants.js';
import type { Variant, VariantName } from './callVariants.js';
import type { BenchRow, GoalSection } from './results.js';
import { median } from './stats.js';

/** Options of {@link benchCallOverhead}. */
export interface CallOverheadOptions {
  /** Rounds; each runs every variant for `samplesPerRound` timed samples, in alternating order. */
  readonly rounds: number;
  readonly samplesPerRound: number;
  /** Milliseconds of untimed runs of every variant first. */
  readonly warmupMs: number;
}

const GOAL = { on: 'ratio', cmp: '<=', value: 1.2 } as const;

/**
 * Goal 1: the cost of a call through Baton when nothing is reloading, against a direct call of the
 * same provider. The goal rows are the calls a host makes through a lease it holds (a no-op async
 * function: nothing hides the overhead) and through each managed handle of a reference kind; the
 * per-call tracked paths (`SurfaceRef.call`, `host.call`) are reported against the floor of what
 * tracking a call's end costs. Each timed sample runs many sequential awaited calls, so the figure
 * is the cost of a call, not of the timer around it.
 */
export async function benchCallOverhead(options: CallOverheadOptions): Promise<Omit<GoalSection, 'seconds'>> {
  const setup = await callVariants();
  const ns = await perCall(setup.variants, options);
  await setup.close();

  const row = (
    name: string,
    baton: VariantName,
    baseline: VariantName,
    label: string,
    goal: boolean,
    note?: string,
  ): BenchRow => ({
    name,
    baton: ns[baton],
    baseline: ns[baseline],
    unit: 'ns/call',
    baselineLabel: label,
    ratio: ns[baton] / ns[baseline],
    ...(goal ? { target: GOAL } : {}),
    ...(note === undefined ? {} : { note }),
  });
  const direct = 'direct call';
  const rows: BenchRow[] = [
    row(
      'no-op async fn, through a held lease (SurfaceRef.acquire once per 1000 calls)',
      'heldLeaseNoop',
      'directNoop',
      direct,
      true,
    ),
    row('ManagedCrdt.apply, g-counter', 'managedCrdt', 'directCrdt', 'direct apply, same state', true),
    row('ManagedIndex.probe, 1024 × 64, k = 10', 'managedProbe', 'directProbe', 'direct probe, same handle', true),
    row(
      'ManagedCdcStream.deliver, fileCdcOutput, 1-row batch',
      'managedDeliver',
      'directDeliver',
      'direct deliver, same stream',
      true,
    ),
    row('lower() of 64 strings, SurfaceRef.call', 'refLower', 'directLower', direct, true),
    row(
      'ManagedCdcStream.deliver, a synchronous sink that does nothing',
      'managedDeliverNoop',
      'directDeliverNoop',
      'direct deliver, same stream',
      false,
    ),
    row(
      'no-op async fn, lease per call (SurfaceRef.acquire … finally release)',
      'leasePerCallNoop',
      'directNoop',
      direct,
      false,
    ),
    row('the same try/finally around a direct call (no Baton code)', 'tryFinallyNoop', 'directNoop', direct, false),
    row('no-op async fn, SurfaceRef.call', 'refNoop', 'directNoop', direct, false, 'Baton tracks the end of each call'),
    row('no-op async fn, host.call', 'hostNoop', 'directNoop', direct, false, 'registry lookup per call'),
    row('floor: bare p.then(release) per call', 'floorNoop', 'directNoop', direct, false, 'no Baton code'),
    row('no-op async fn, SurfaceRef.call vs the floor', 'refNoop', 'floorNoop', 'bare p.then(release)', false),
  ];
  const ms = (v: VariantName): string => ns[v].toFixed(0);
  const over = (a: VariantName, b: VariantName): string => (ns[a] - ns[b]).toFixed(0);
  return {
    id: 1,
    title: 'Call overhead when nothing is reloading',
    goal: 'a call through a managed handle / lease vs a direct call of the same async function: ≤ 1.2×.',
    ratioOf: 'Baton / direct (time per call)',
    appliesTo:
      'the first five rows: a no-op async function called through a lease the caller holds (how an engine calls ' +
      'a function it resolved for a query plan, and the worst case for overhead: the function does nothing), a ' +
      'call of each managed handle on its reference kind (`ManagedCrdt.apply`, `ManagedIndex.probe`, ' +
      '`ManagedCdcStream.deliver`), and `lower()` through `SurfaceRef.call`. The other rows are reported, with ' +
      'the floor that bounds them.',
    rows,
    findings: [
      `Each timed sample runs 1000 sequential awaited calls (100 for lower(), 400 for deliveries to a file, 10 for probes), in ${options.rounds} rounds of ${options.samplesPerRound} samples per variant, in alternating order; figures are medians of the rounds' medians.`,
      `Through a held lease a call takes ${ms('heldLeaseNoop')} ns against ${ms('directNoop')} ns direct: the lease is taken ` +
        'once and the calls go straight to the provider; the version cannot retire until the lease is released.',
      `A lease per call (acquire, await, release in \`finally\`) takes ${ms('leasePerCallNoop')} ns; the same try/finally ` +
        `without a lease takes ${ms('tryFinallyNoop')} ns, and a direct call ${ms('directNoop')} ns.`,
      `SurfaceRef.call adds ${over('refNoop', 'directNoop')} ns to a no-op call; a bare \`p.then(release, release)\` on the same promise, ` +
        `with no Baton code at all, adds ${over('floorNoop', 'directNoop')} ns (${(ns.floorNoop / ns.directNoop).toFixed(2)}×). That reaction is ` +
        'the least any design can do to learn by itself when an async call has finished (what lets the old version ' +
        'retire after its last call), so a path that tracks each call cannot reach 1.2× on a function that does ' +
        'nothing; on real work (lower() of 64 strings) it is within the goal. A caller that holds a lease releases it ' +
        'in its own continuation and pays no reaction.',
      `Managed handles count a use only when it returns a promise: a synchronous apply or probe starts and ends in ` +
        'one synchronous stretch, in which no drain, swap or close can happen. A CDC delivery made while nothing ' +
        'earlier is pending goes to the stream at once, so a synchronous sink costs no promise reaction either.',
      'The deliver rows send batches to the very stream the managed handle wraps, in one LSN sequence: each ' +
        'batch is new to the stream, whichever path delivers it.',
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
  // Warm every path up first; then many short rounds, each running every variant for a few samples
  // in an order that alternates: background work (a collection, a flush) then lands on all alike.
  await new Bench({ time: options.warmupMs, iterations: 1, warmup: false, throws: true })
    .add('warm-up', async () => {
      for (const name of names) await variants[name].run();
    })
    .run();
  for (let round = 0; round < options.rounds; round++) {
    const bench = new Bench({ iterations: options.samplesPerRound, time: 0, warmup: false, throws: true });
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
