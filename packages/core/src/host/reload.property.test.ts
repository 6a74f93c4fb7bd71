/**
 * Property: for any interleaving of concurrent calls with a reload, and a fault injected at any
 * step of that reload, no call fails, every call runs on a version that is not yet retired, CDC
 * batches reach the sink exactly once and in order, index answers never change, CRDT updates are
 * never lost, and after a failure the old version serves with everything intact.
 */
import { fc, test } from '@fast-check/vitest';
import { Utf8, vectorFromArray } from 'apache-arrow';
import type { RecordBatch } from 'apache-arrow';
import { expect } from 'vitest';
import { isReloadError } from '../errors/reloadError.js';
import type { CdcBatch, CdcOutputProvider, CdcStream } from '../surfaces/cdcOutput.js';
import type { CrdtKindProvider, CrdtState } from '../surfaces/crdtKind.js';
import type { IndexHandle, IndexKindProvider } from '../surfaces/indexKind.js';
import {
  counterV1,
  counterV2Lossy,
  counterV2Migrating,
  faulty,
  fixtureCdcOutput,
  fixtureIndexKind,
  queryBatch,
  valuesTable,
} from '../__tests__/fixtures.js';
import type { CdcFaults, Fault, IndexFaults } from '../__tests__/fixtures.js';
import { world } from '../__tests__/plugins.js';
import type { World } from '../__tests__/plugins.js';
import { definePlugin } from './pluginDefinition.js';
import { createPluginHost } from './pluginHost.js';

type Scheduler = fc.Scheduler;
type Step = 'register' | 'compat' | 'persist' | 'open' | 'checkpoint' | 'shutdown' | 'start';

const faultArb = fc.option(
  fc.oneof(
    fc.record({
      step: fc.constantFrom<Step>('register', 'compat', 'shutdown'),
      mode: fc.constantFrom<Fault>('throw', 'reject'),
    }),
    fc.record({
      step: fc.constantFrom<Step>('persist', 'open', 'checkpoint', 'start'),
      mode: fc.constantFrom<Fault>('throw', 'reject', 'garbage'),
    }),
  ),
  { nil: undefined },
);
const callArb = fc.constantFrom('fn', 'probe', 'deliver', 'apply');

/** A plugin whose every call completes when the scheduler decides; calls check their version is still live. */
function scheduledPlugin(
  version: string,
  w: World,
  s: Scheduler,
  retired: Set<string>,
  faults: { index: IndexFaults; cdc: CdcFaults; register?: Fault; crdt?: CrdtKindProvider },
) {
  const live = <A extends unknown[], R>(fn: (...args: A) => R | PromiseLike<R>) =>
    s.scheduleFunction(async (...args: A): Promise<R> => {
      if (retired.has(version)) throw new Error(`call started on retired version ${version}`);
      const result = await fn(...args);
      if (retired.has(version)) throw new Error(`call ended on retired version ${version}`);
      return result;
    });
  const handle = (h: IndexHandle): IndexHandle => ({
    probe: live((q: RecordBatch, k: number) => h.probe(q, k)),
    persist: live(() => h.persist()),
    close: () => h.close(),
  });
  const stream = (st: CdcStream): CdcStream => ({
    deliver: live((b: CdcBatch) => st.deliver(b)),
    checkpoint: live(() => st.checkpoint()),
    shutdown: live(() => st.shutdown()),
  });
  const isObject = (x: unknown): x is object => typeof x === 'object' && x !== null;
  const index = fixtureIndexKind(version, w.ledger, faults.index);
  const cdc = fixtureCdcOutput(version, w.sink, faults.cdc);
  const indexKind: IndexKindProvider = {
    kind: 'nearest',
    build: (source, options) => handle(index.build(source, options)),
    open: live(async (bytes: Uint8Array) => {
      const h = await index.open(bytes);
      return isObject(h) && 'probe' in h ? handle(h) : h;
    }),
  };
  const cdcOutput: CdcOutputProvider = {
    name: 'memory',
    start: live(async (options: { fromLsn?: bigint }) => {
      const st = await cdc.start(options);
      return isObject(st) && 'deliver' in st ? stream(st) : st;
    }),
  };
  const base =
    faults.crdt ??
    counterV1(() => [
      [
        { replica: 'a', by: 1 },
        { replica: 'b', by: 2 },
      ],
    ]);
  const counter: CrdtKindProvider = {
    ...base,
    empty: async () => wrapState(await base.empty()),
    fromPersisted: async (bytes) => wrapState(await base.fromPersisted(bytes)),
  };
  function wrapState(state: CrdtState): CrdtState {
    return {
      apply: live((op: unknown) => state.apply(op)),
      merge: (o) => state.merge(o),
      value: () => state.value(),
      persist: () => state.persist(),
      inner: state,
    } as CrdtState;
  }
  return definePlugin({
    name: 'engine',
    version,
    async register(r) {
      await faulty(faults.register, 'register', () => undefined);
      r.onRetire(() => void retired.add(version));
      r.scalarFunction({
        name: 'version',
        returnType: new Utf8(),
        invoke: live(() => vectorFromArray([version], new Utf8())),
      });
      r.indexKind(indexKind);
      r.cdcOutput(cdcOutput);
      r.crdtKind(counter);
    },
  });
}

test.prop([fc.scheduler(), fc.array(callArb, { minLength: 1, maxLength: 14 }), faultArb], { numRuns: 200 })(
  'a reload under concurrent calls fails no call, loses and duplicates nothing, and rolls back cleanly',
  async (s, calls, fault) => {
    const w = world();
    const retired = new Set<string>();
    const oldFaults = { index: {} as IndexFaults, cdc: {} as CdcFaults };
    const host = createPluginHost({ stepTimeoutMs: 60_000, drainTimeoutMs: 60_000 });
    await host.load(scheduledPlugin('1.0.0', w, s, retired, oldFaults));
    const values = [3, 8, 1, 12, 5];
    const index = await host.openIndex({ name: 'idx', key: 'nearest', source: valuesTable(values), column: 'v' });
    const feed = await s.waitFor(host.startCdc({ name: 'feed', key: 'memory', fromLsn: 0n }));
    const counter = await host.openCrdt<{ replica: string; by: number }, number>({ name: 'hits', key: 'counter' });

    // Faults of the old version's objects are switched on now; the new version's come with it.
    const newFaults: { index: IndexFaults; cdc: CdcFaults; register?: Fault; crdt?: CrdtKindProvider } = {
      index: {},
      cdc: {},
      crdt: counterV2Migrating(),
    };
    if (fault?.step === 'persist') oldFaults.index.persist = fault.mode;
    if (fault?.step === 'checkpoint') oldFaults.cdc.checkpoint = fault.mode;
    if (fault?.step === 'shutdown') oldFaults.cdc.shutdown = fault.mode;
    if (fault?.step === 'open') newFaults.index.open = fault.mode;
    if (fault?.step === 'start') newFaults.cdc.start = fault.mode;
    if (fault?.step === 'register') newFaults.register = fault.mode;
    if (fault?.step === 'compat') newFaults.crdt = counterV2Lossy();

    let lsn = 0n;
    const delivered: string[] = [];
    let applies = 0;
    const expectedProbe = (q: number) =>
      [...values.keys()].sort((a, b) => Math.abs(values[a]! - q) - Math.abs(values[b]! - q) || a - b)[0];
    const run = (kind: string, i: number): Promise<unknown> =>
      s.schedule(Promise.resolve(), `start ${kind} #${i}`).then(async () => {
        switch (kind) {
          case 'fn':
            return host.call('scalarFunction', 'version', (f) => f.invoke([]));
          case 'probe': {
            const answer = await index.probe(queryBatch([i]), 1);
            expect(answer.getChild('row')!.get(0)).toBe(expectedProbe(i));
            return answer;
          }
          case 'deliver': {
            const start = lsn;
            lsn += 2n;
            delivered.push(`${start}-${start + 2n}`);
            expect(
              await feed.deliver({
                lsnStart: start,
                lsnEnd: start + 2n,
                mutations: queryBatch([1]),
                commitTimestamp: 0,
              }),
            ).toBe(true);
            return;
          }
          default:
            applies++;
            return counter.apply({ replica: `r${i % 3}`, by: 1 });
        }
      });
    const pending = calls.map(run);
    const reload = s
      .schedule(Promise.resolve(), 'start reload')
      .then(() => host.reload(scheduledPlugin('2.0.0', w, s, retired, newFaults)));
    const outcome = await s.waitFor(Promise.allSettled([reload, ...pending]));

    const failedCalls = outcome.slice(1).flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
    expect(failedCalls).toEqual([]);
    const expectFailure = fault !== undefined;
    const reloadResult = outcome[0];
    expect(reloadResult.status).toBe(expectFailure ? 'rejected' : 'fulfilled');
    if (reloadResult.status === 'rejected') {
      expect(isReloadError(reloadResult.reason)).toBe(true);
      expect((reloadResult.reason as Error).message).toContain('engine 1.0.0 still serves');
    }
    const serving = expectFailure ? '1.0.0' : '2.0.0';
    expect([index.version, feed.version, counter.version]).toEqual([serving, serving, serving]);
    expect(host.plugins()[0]!.version).toBe(serving);
    expect(w.sink.ranges()).toEqual(delivered);
    // The old version's resources keep working after a rollback (faults off again).
    oldFaults.index.persist = undefined;
    oldFaults.cdc.checkpoint = undefined;
    oldFaults.cdc.shutdown = undefined;
    const after = s.waitFor(Promise.all([index.probe(queryBatch([7]), 1), counter.value(), feed.checkpoint()]));
    const [answer, value, checkpoint] = await after;
    expect(answer.getChild('row')!.get(0)).toBe(expectedProbe(7));
    expect(value).toBe(applies);
    expect(checkpoint).toBe(lsn);
    await s.waitFor(host.close());
  },
);
