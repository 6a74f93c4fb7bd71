/**
 * Property: with every stateful kind on its fast path (an index adopted by reference, a counter
 * moved by delta, a CDC stream taken over in memory), for any interleaving of concurrent calls with
 * the snapshot, adopt, delta, pre-copy and takeover steps and the gate closing, and a fault at any of those
 * steps: no call fails, CRDT updates are never lost, CDC batches reach the sink exactly once and in
 * order, and a failure before the pause refuses the reload without closing the gate.
 */
import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { isReloadError } from '../errors/reloadError.js';
import type { CdcBatch, CdcOutputProvider, CdcStream, CdcTakeover } from '../surfaces/cdcOutput.js';
import type { CrdtKindProvider, CrdtMark, CrdtState } from '../surfaces/crdtKind.js';
import type { IndexHandle, IndexKindProvider, IndexSnapshot } from '../surfaces/indexKind.js';
import {
  counterLog,
  deltaCounter,
  fixtureCdcOutput,
  fixtureIndexKind,
  queryBatch,
  valuesTable,
} from '../__tests__/fixtures.js';
import type { CdcFaults, CounterLog, Fault, IndexFaults } from '../__tests__/fixtures.js';
import { world } from '../__tests__/plugins.js';
import type { World } from '../__tests__/plugins.js';
import { definePlugin } from './pluginDefinition.js';
import { createPluginHost } from './pluginHost.js';

type Scheduler = fc.Scheduler;
type Step =
  | 'snapshot'
  | 'adopt'
  | 'mark'
  | 'delta'
  | 'mergeDelta'
  | 'changed'
  | 'detach'
  | 'adoptStream'
  | 'refreshMark'
  | 'refreshDelta'
  | 'refreshMerge';
/** Steps that run before the gate closes: a fault there refuses the reload with nothing paused. */
const beforePause = new Set<Step>(['snapshot', 'adopt', 'mark', 'refreshMark', 'refreshDelta', 'refreshMerge']);
/** The counter's call that fails in the pre-copy round (after prepare, before the gate closes). */
const inRefresh = { refreshMark: 'mark', refreshDelta: 'delta', refreshMerge: 'mergeDelta' } as const;

const faultArb = fc.option(
  fc.record({
    step: fc.constantFrom<Step>(
      'snapshot',
      'adopt',
      'mark',
      'delta',
      'mergeDelta',
      'changed',
      'detach',
      'adoptStream',
      'refreshMark',
      'refreshDelta',
      'refreshMerge',
    ),
    mode: fc.constantFrom<Fault>('throw', 'reject'),
  }),
  { nil: undefined },
);
const callArb = fc.constantFrom('probe', 'deliver', 'apply');

/** Each step of the plugin's providers settles when the scheduler decides. */
function scheduledPlugin(
  version: string,
  w: World,
  s: Scheduler,
  faults: { index: IndexFaults; cdc: CdcFaults; log: CounterLog },
) {
  const later = <A extends unknown[], R>(fn: (...args: A) => R | PromiseLike<R>) =>
    s.scheduleFunction(async (...args: A): Promise<R> => fn(...args));
  // The fault objects themselves (a test switches faults on and off in them between steps).
  faults.index.byReference = true;
  faults.cdc.takeover = true;
  const index = fixtureIndexKind(version, w.ledger, faults.index);
  const cdc = fixtureCdcOutput(version, w.sink, faults.cdc);
  const counter = deltaCounter(faults.log);
  const handle = (h: IndexHandle): IndexHandle => ({
    probe: (q, k) => h.probe(q, k),
    persist: () => h.persist(),
    close: () => h.close(),
    snapshot: later(() => h.snapshot!()),
  });
  const stream = (st: CdcStream): CdcStream => ({
    deliver: later((b: CdcBatch) => st.deliver(b)),
    checkpoint: () => st.checkpoint(),
    shutdown: () => st.shutdown(),
    detach: later(() => st.detach!()),
  });
  const state = (st: CrdtState): CrdtState => ({
    apply: later((op: unknown) => st.apply(op)),
    merge: (o) => st.merge(o),
    value: () => st.value(),
    persist: () => st.persist(),
    mark: later(async (): Promise<CrdtMark> => {
      const m = await st.mark!();
      return {
        ...(m.changed ? { changed: later(() => m.changed!()) } : {}),
        delta: later(() => m.delta()),
        release: () => {
          m.release();
        },
      };
    }),
    mergeDelta: later((d: Uint8Array) => st.mergeDelta!(d)),
  });
  const indexKind: IndexKindProvider = {
    kind: 'nearest',
    build: (source, options) => handle(index.build(source, options)),
    open: async (bytes) => handle(await index.open(bytes)),
    adopt: later(async (snap: IndexSnapshot) => {
      const h = await index.adopt!(snap);
      return h === undefined ? undefined : handle(h);
    }),
  };
  const cdcOutput: CdcOutputProvider = {
    name: 'memory',
    start: async (options) => stream(await cdc.start(options)),
    adopt: later(async (t: CdcTakeover) => {
      const st = await cdc.adopt!(t);
      return st === undefined ? undefined : stream(st);
    }),
  };
  const crdt: CrdtKindProvider = {
    ...counter,
    empty: async () => state(await counter.empty()),
    fromPersisted: async (bytes) => state(await counter.fromPersisted(bytes)),
  };
  return definePlugin({
    name: 'engine',
    version,
    register(r) {
      r.indexKind(indexKind);
      r.cdcOutput(cdcOutput);
      r.crdtKind(crdt);
    },
  });
}

test.prop([fc.scheduler(), fc.array(callArb, { minLength: 1, maxLength: 12 }), faultArb, fc.boolean()], {
  numRuns: 150,
})(
  'prepared handoffs interleaved with calls fail no call and lose or duplicate nothing',
  async (s, calls, fault, changed) => {
    const w = world();
    const log = counterLog();
    // Marks with changed() let the pause skip a delta that carries nothing.
    log.changed = changed || fault?.step === 'changed';
    const oldFaults = { index: {} as IndexFaults, cdc: {} as CdcFaults, log };
    const newFaults = { index: {} as IndexFaults, cdc: {} as CdcFaults, log };
    const host = createPluginHost({ stepTimeoutMs: 60_000, prepareTimeoutMs: 60_000, drainTimeoutMs: 60_000 });
    await host.load(scheduledPlugin('1.0.0', w, s, oldFaults));
    const values = [3, 8, 1, 12, 5];
    const index = await host.openIndex({ name: 'idx', key: 'nearest', source: valuesTable(values), column: 'v' });
    const feed = await s.waitFor(host.startCdc({ name: 'feed', key: 'memory', fromLsn: 0n }));
    const counter = await host.openCrdt<{ replica: string; by: number }, number>({ name: 'hits', key: 'counter' });
    await s.waitFor(counter.apply({ replica: 'seed', by: 1 })); // a live state for the compat check
    if (fault?.step === 'snapshot') oldFaults.index.snapshot = fault.mode;
    if (fault?.step === 'adopt') newFaults.index.adopt = fault.mode;
    if (fault?.step === 'mark') log.faults.mark = fault.mode;
    if (fault?.step === 'detach') oldFaults.cdc.detach = fault.mode;
    if (fault?.step === 'adoptStream') newFaults.cdc.adopt = fault.mode;
    let quiesced = false;
    host.on('prepared', () => {
      // The pre-copy round's calls fail from here on (prepare's own went through).
      if (fault !== undefined && fault.step in inRefresh)
        log.faults[inRefresh[fault.step as keyof typeof inRefresh]] = fault.mode;
    });
    host.on('quiesced', () => {
      quiesced = true;
      log.paused = true; // the counter's calls from here on are recorded as 'paused:…'
      // Inside the pause: the delta steps fail from here on (the pre-copy before it went through).
      if (fault?.step === 'delta' || fault?.step === 'mergeDelta' || fault?.step === 'changed')
        log.faults[fault.step] = fault.mode;
    });

    for (const end of ['committed', 'rolledBack'] as const) host.on(end, () => void (log.paused = false));

    let lsn = 0n;
    const delivered: string[] = [];
    let applies = 1;
    const run = (kind: string, i: number): Promise<unknown> =>
      s.schedule(Promise.resolve(), `start ${kind} #${i}`).then(async () => {
        if (kind === 'probe') return index.probe(queryBatch([i]), 1);
        if (kind === 'apply') {
          applies++;
          return counter.apply({ replica: `r${i % 3}`, by: 1 });
        }
        const start = lsn;
        lsn += 2n;
        delivered.push(`${start}-${start + 2n}`);
        expect(
          await feed.deliver({ lsnStart: start, lsnEnd: start + 2n, mutations: queryBatch([1]), commitTimestamp: 0 }),
        ).toBe(true);
      });
    const pending = calls.map(run);
    const reload = s
      .schedule(Promise.resolve(), 'start reload')
      .then(() => host.reload(scheduledPlugin('2.0.0', w, s, newFaults)));
    const outcome = await s.waitFor(Promise.allSettled([reload, ...pending]));

    expect(outcome.slice(1).flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []))).toEqual([]);
    const result = outcome[0];
    // An in-pause delta step runs unless changed() said the mark saw nothing; without it, always.
    const inPause = fault?.step === 'delta' || fault?.step === 'mergeDelta';
    const fired = fault !== undefined && (!inPause || log.calls.includes(`paused:${fault.step}`));
    if (inPause && !log.changed) expect(fired).toBe(true);
    expect(result.status).toBe(fired ? 'rejected' : 'fulfilled');
    if (result.status === 'rejected') {
      expect(isReloadError(result.reason)).toBe(true);
      if (beforePause.has(fault!.step)) {
        expect(result.reason).toMatchObject({ phase: 'prepare' });
        expect(quiesced).toBe(false); // refused before anything paused
      }
    }
    const serving = fired ? '1.0.0' : '2.0.0';
    expect([index.version, feed.version, counter.version]).toEqual([serving, serving, serving]);
    expect(log.openMarks).toBe(0);
    Object.assign(log.faults, { mark: undefined, delta: undefined, mergeDelta: undefined, changed: undefined });
    for (const faults of [oldFaults, newFaults]) {
      Object.assign(faults.index, { snapshot: undefined, adopt: undefined });
      Object.assign(faults.cdc, { detach: undefined, adopt: undefined });
    }
    const [value, answer] = await s.waitFor(Promise.all([counter.value(), index.probe(queryBatch([7]), 1)]));
    expect(value).toBe(applies);
    expect(answer.getChild('row')!.get(0)).toBe(1); // 8 is nearest to 7
    expect(w.sink.ranges()).toEqual(delivered);
    await s.waitFor(host.close());
  },
);
