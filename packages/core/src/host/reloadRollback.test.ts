import { Utf8, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import type { HostEventMap } from '../events/hostEvents.js';
import { reloadEventNames } from '../events/reloadEventNames.js';
import { batchAt, counterV2Lossy, queryBatch, valuesTable } from '../__tests__/fixtures.js';
import { fakeClock, isPending, nextEvent } from '../__tests__/latches.js';
import { testPlugin, world } from '../__tests__/plugins.js';
import type { PluginOptions, World } from '../__tests__/plugins.js';
import { createPluginHost } from './pluginHost.js';
import type { PluginHost } from './pluginHost.js';
import { rejection } from '../__tests__/rejection.js';
import { deferred } from '../util/deferred.js';

const arg = vectorFromArray(['x'], new Utf8());
const versionOf = async (host: PluginHost): Promise<string> =>
  String((await host.call('scalarFunction', 'version', (f) => f.invoke([arg]))).get(0));

/** A host on v1 with one index, one CDC stream (2 batches delivered) and one counter. */
async function setUp(w: World = world()) {
  const host = createPluginHost({ drainTimeoutMs: 200, stepTimeoutMs: 200 });
  await host.load(testPlugin('1.0.0', w));
  const index = await host.openIndex({ name: 'idx', key: 'nearest', source: valuesTable([1, 2, 3]), column: 'v' });
  const stream = await host.startCdc({ name: 'feed', key: 'memory', fromLsn: 0n });
  const counter = await host.openCrdt<{ replica: string; by: number }, number>({ name: 'hits', key: 'counter' });
  await stream.deliver(batchAt(0n, 2));
  await counter.apply({ replica: 'r', by: 3 });
  const events: (keyof HostEventMap)[] = [];
  for (const e of reloadEventNames) host.on(e, () => events.push(e));
  return { host, w, index, stream, counter, events };
}

/** The old version serves with everything intact, and keeps working. */
async function expectOldServing(s: Awaited<ReturnType<typeof setUp>>, nextLsn = 2n): Promise<void> {
  expect(await versionOf(s.host)).toBe('1.0.0');
  expect([s.index.version, s.stream.version, s.counter.version]).toEqual(['1.0.0', '1.0.0', '1.0.0']);
  expect((await s.index.probe(queryBatch([2]), 1)).getChild('row')!.toArray()).toEqual(Int32Array.from([1]));
  expect(await s.stream.deliver(batchAt(nextLsn, 1))).toBe(true);
  expect(await s.counter.value()).toBe(3);
  const ranges = s.w.sink.ranges();
  expect(new Set(ranges).size).toBe(ranges.length); // nothing written twice
  expect(ranges.at(-1)).toBe(`${nextLsn}-${nextLsn + 1n}`);
}

describe('reload rollback: a failure at any step leaves the old version serving', () => {
  it('register() throws: REGISTRATION_FAILED at stage, nothing paused', async () => {
    const s = await setUp();
    const error = await rejection(
      s.host.reload(
        testPlugin('2.0.0', s.w, {
          register: () => {
            throw new Error('bad config');
          },
        }),
      ),
    );
    expect(error).toMatchObject({ code: 'REGISTRATION_FAILED', phase: 'stage', plugin: 'engine' });
    expect(error.message).toContain('register() failed: bad config (engine 1.0.0 still serves; nothing was lost)');
    expect(s.events).toEqual(['started', 'rolledBack']);
    await expectOldServing(s);
    await s.host.close();
  });

  it('register() hangs: times out at stage', async () => {
    const s = await setUp();
    const error = await rejection(
      s.host.reload(testPlugin('2.0.0', s.w, { register: () => new Promise(() => undefined) }), {
        registerTimeoutMs: 20,
      }),
    );
    expect(error).toMatchObject({ code: 'REGISTRATION_FAILED', phase: 'stage' });
    expect(error.message).toContain('did not settle within 20 ms');
    await expectOldServing(s);
    await s.host.close();
  });

  it('an invalid provider is refused with INVALID_PROVIDER naming the problem', async () => {
    const s = await setUp();
    const error = await rejection(
      s.host.reload(testPlugin('2.0.0', s.w, { register: (r) => void r.scalarFunction({ name: 'broken' } as never) })),
    );
    expect(error).toMatchObject({ code: 'INVALID_PROVIDER', phase: 'stage', kind: 'scalarFunction' });
    expect(error.message).toContain("'invoke()' is missing");
    await expectOldServing(s);
    await s.host.close();
  });

  it('an incompatible CRDT is refused at compat, before anything paused', async () => {
    const s = await setUp();
    const error = await rejection(s.host.reload(testPlugin('2.0.0', s.w, { crdt: counterV2Lossy() })));
    expect(error).toMatchObject({ code: 'SCHEMA_INCOMPATIBLE', phase: 'compat', kind: 'crdtKind', key: 'counter' });
    expect(s.events).toEqual(['started', 'rolledBack']);
    expect(s.host.stats('engine')).toMatchObject({
      reloadsFailed: 1,
      lastPauseMs: 0,
      lastError: { code: 'SCHEMA_INCOMPATIBLE' },
    });
    await expectOldServing(s);
    await s.host.close();
  });

  it('a version that drops a surface live resources use is refused with RESOURCE_ORPHANED', async () => {
    const s = await setUp();
    const dropping = {
      ...testPlugin('2.0.0', s.w),
      register: (r: Parameters<ReturnType<typeof testPlugin>['register']>[0]) =>
        void r.scalarFunction(testPluginFunction()),
    };
    const error = await rejection(s.host.reload(dropping));
    expect(error.code).toBe('RESOURCE_ORPHANED');
    expect(error.message).toMatch(/no longer provides (indexKind 'nearest'|cdcOutput 'memory'|crdtKind 'counter')/);
    await expectOldServing(s);
    await s.host.close();
  });

  const refusedBeforePause = ['started', 'compatChecked', 'rolledBack'];
  const rolledBackInPause = ['started', 'compatChecked', 'prepared', 'quiesced', 'drained', 'rolledBack'];
  it.each<[string, PluginOptions, string, string, string[]]>([
    ['index open', { index: { open: 'reject' } }, 'open', 'prepare', refusedBeforePause],
    ['index persist', { index: { persist: 'throw' } }, 'persist', 'prepare', refusedBeforePause],
    ['CDC start', { cdc: { start: 'throw' } }, 'start', 'dispatch', rolledBackInPause],
  ])('%s fails: HANDOFF_FAILED at its phase, everything restored', async (_name, faults, step, phase, events) => {
    const s = await setUp();
    const w = s.w;
    // A persist fault belongs to the old version's handles; open and start faults to the new provider.
    const oldFaults = faults.index?.persist ? faults.index : undefined;
    if (oldFaults) Object.assign(w.faults.index, oldFaults);
    const error = await rejection(s.host.reload(testPlugin('2.0.0', w, oldFaults ? {} : faults)));
    expect(error).toMatchObject({ code: 'HANDOFF_FAILED', phase, step });
    expect(s.events).toEqual(events);
    w.faults.index.persist = undefined;
    await expectOldServing(s);
    expect(w.ledger.handles.filter((h) => h.version === '2.0.0').every((h) => h.closed)).toBe(true);
    await s.host.close();
  });

  it('a provider call that hangs in prepare times out at prepareTimeoutMs: STEP_TIMEOUT, the host stays healthy', async () => {
    const s = await setUp();
    using clock = fakeClock(); // deadlines pass only as the test advances the clock, timer by timer
    const started = clock.now();
    const reload = rejection(
      s.host.reload(testPlugin('2.0.0', s.w, { index: { open: 'hang' } }), { prepareTimeoutMs: 30 }),
    );
    await clock.runUntilSettled(reload);
    const error = await reload;
    expect(error).toMatchObject({ code: 'STEP_TIMEOUT', step: 'open', phase: 'prepare' });
    expect(clock.now() - started).toBeLessThan(1_000);
    await expectOldServing(s);
    await s.host.reload(testPlugin('3.0.0', s.w));
    expect(await versionOf(s.host)).toBe('3.0.0');
    await s.host.close();
  });

  it('a provider call that hangs inside the pause times out at stepTimeoutMs: STEP_TIMEOUT, old serves', async () => {
    const s = await setUp();
    using clock = fakeClock();
    const reload = rejection(
      s.host.reload(testPlugin('2.0.0', s.w, { cdc: { start: 'hang' } }), { stepTimeoutMs: 30 }),
    );
    await clock.runUntilSettled(reload);
    expect(await reload).toMatchObject({ code: 'STEP_TIMEOUT', step: 'start', phase: 'dispatch' });
    await expectOldServing(s);
    await s.host.close();
  });

  it('a stuck delivery aborts the reload at the drain timeout; the next reload succeeds once it completes', async () => {
    const s = await setUp();
    const release = s.w.sink.holdNextDelivery();
    const stream = s.stream;
    const stuck = stream.deliver(batchAt(2n, 1));
    await s.w.sink.held; // the delivery is in flight: the reload has to drain it
    using clock = fakeClock(); // the drain deadline passes only as the test advances the clock
    const t = clock.now();
    const quiesced = nextEvent(s.host, 'quiesced');
    const reload = rejection(s.host.reload(testPlugin('2.0.0', s.w), { drainTimeoutMs: 40 }));
    await quiesced; // draining from here, with a deadline 40 ms away
    await clock.advance(39);
    expect(await isPending(reload)).toBe(true);
    await clock.advance(1);
    const error = await reload;
    const waited = clock.now() - t;
    expect(error).toMatchObject({ code: 'DRAIN_TIMEOUT', phase: 'drain' });
    expect(error.message).toContain("'engine' (1 in flight)");
    expect(waited).toBeGreaterThanOrEqual(39);
    expect(await versionOf(s.host)).toBe('1.0.0');
    release();
    expect(await stuck).toBe(true);
    await s.host.reload(testPlugin('2.0.0', s.w));
    expect(s.stream.version).toBe('2.0.0');
    expect(await s.stream.deliver(batchAt(3n, 1))).toBe(true);
    expect(s.w.sink.ranges()).toEqual(['0-2', '2-3', '3-4']);
    await s.host.close();
  });

  it('an abort signal rolls back with ABORTED, before or during the reload', async () => {
    const s = await setUp();
    const early = new AbortController();
    early.abort();
    expect((await rejection(s.host.reload(testPlugin('2.0.0', s.w), { signal: early.signal }))).code).toBe('ABORTED');
    const late = new AbortController();
    const hanging = deferred();
    const pending = s.host.reload(
      testPlugin('2.0.0', s.w, {
        index: {
          open: 'hang',
          onFault: () => {
            hanging.resolve();
          },
        },
      }),
      { signal: late.signal, stepTimeoutMs: 10_000 },
    );
    await hanging.promise; // the reload is in dispatch, its open hanging
    late.abort();
    const error = await rejection(pending);
    expect(error.code).toBe('ABORTED');
    await expectOldServing(s);
    await s.host.close();
  });

  it('one reload per plugin at a time', async () => {
    const s = await setUp();
    const registering = deferred();
    const first = s.host.reload(testPlugin('2.0.0', s.w, { register: () => registering.promise }));
    await expect(s.host.reload(testPlugin('3.0.0', s.w))).rejects.toMatchObject({ code: 'RELOAD_IN_PROGRESS' });
    registering.resolve();
    await first;
    expect(await versionOf(s.host)).toBe('2.0.0');
    await s.host.close();
  });
});

function testPluginFunction() {
  return { name: 'version', returnType: new Utf8(), invoke: () => vectorFromArray(['2.0.0'], new Utf8()) };
}
