import { describe, expect, it, vi } from 'vitest';
import { queryBatch, batchAt, valuesTable } from '../__tests__/fixtures.js';
import type { FixtureIndexHandle } from '../__tests__/fixtures.js';
import { testPlugin, world } from '../__tests__/plugins.js';
import type { World } from '../__tests__/plugins.js';
import { setUp, v2 } from '../__tests__/preparedSetup.js';
import { rejection } from '../__tests__/rejection.js';
import type { HandoffRecord } from '../dispatch/reloadOutcome.js';
import { createPluginHost } from './pluginHost.js';

describe('handoffs prepared before the pause', () => {
  it('an index is reopened before the gates close, persisted and opened when the kind has no snapshot', async () => {
    const s = await setUp();
    const result = await s.host.reload(v2(s.w, s.log));
    expect(s.openedAtQuiesce).toEqual([1]); // the v2 handle existed before anything paused
    const record = result.handoffs.find((h) => h.kind === 'indexKind')!;
    expect(record.detail).toMatchObject({ byReference: false, bytes: 4 + 3 * 8 });
    expect(s.index.version).toBe('2.0.0');
    expect((await s.index.probe(queryBatch([2]), 1)).getChild('row')!.toArray()).toEqual(Int32Array.from([1]));
    await s.host.close();
  });

  it('an index with snapshot/adopt is handed over by reference: no persist, the new handle shares the memory', async () => {
    const s = await setUp({ byReference: true });
    s.w.faults.index.persist = 'throw'; // a persist would fail the reload
    const result = await s.host.reload(v2(s.w, s.log, { index: { byReference: true } }));
    const [old, next] = s.w.ledger.handles as [FixtureIndexHandle, FixtureIndexHandle];
    expect(next.version).toBe('2.0.0');
    expect(next.values).toBe(old.values);
    expect(result.handoffs.find((h) => h.kind === 'indexKind')!.detail).toMatchObject({ byReference: true, bytes: 24 });
    await result.retired;
    expect(old.closed).toBe(true); // closing the old handle dropped only its references
    expect((await s.index.probe(queryBatch([3]), 1)).getChild('row')!.toArray()).toEqual(Int32Array.from([2]));
    await s.host.close();
  });

  it('an adopt that does not read the layout falls back to persist and open, still before the pause', async () => {
    const s = await setUp({ byReference: true });
    s.w.faults.index.layout = 'nearest/9'; // a layout from the future: v2 cannot adopt it
    const provider = { byReference: true };
    const result = await s.host.reload(v2(s.w, s.log, { index: provider }));
    expect(s.openedAtQuiesce).toEqual([1]);
    expect(result.handoffs.find((h) => h.kind === 'indexKind')!.detail).toMatchObject({ byReference: false });
    const [old, next] = s.w.ledger.handles as [FixtureIndexHandle, FixtureIndexHandle];
    expect(next.values).not.toBe(old.values); // a copy, opened from persisted bytes
    expect(Array.from(next.values)).toEqual([1, 2, 3]);
    await s.host.close();
  });

  it('a CRDT moves before the pause; inside it only the delta since the mark is merged', async () => {
    const s = await setUp();
    let prepared: readonly HandoffRecord[] = [];
    // Writes that land after the snapshot, while the old version still serves: they travel in the delta.
    const late: Promise<void>[] = [];
    s.host.on('prepared', (e) => {
      prepared = e.handoffs;
      late.push(s.counter.apply({ replica: 'c', by: 5 }), s.counter.apply({ replica: 'a', by: 1 }));
    });
    const result = await s.host.reload(v2(s.w, s.log));
    await Promise.all(late);
    expect(s.counter.version).toBe('2.0.0');
    expect(await s.counter.value()).toBe(3 + 4 + 5 + 1);
    expect(prepared.find((h) => h.kind === 'crdtKind')!.detail).toMatchObject({ byDelta: true });
    const inPause = s.log.calls.filter((c) => c.startsWith('paused:'));
    expect(inPause).toEqual(['paused:delta', 'paused:mergeDelta']);
    expect(s.log.calls).toContain('persist'); // the O(state) steps ran before the pause
    expect(s.log.openMarks).toBe(0);
    const delta = result.handoffs.find((h) => h.kind === 'crdtKind')!.detail;
    expect(delta['deltaBytes']).toBeGreaterThan(0);
    await s.host.close();
  });

  it('a pre-copy round right before the gates close carries what landed after prepare; the pause only what came after', async () => {
    const s = await setUp();
    const late: Promise<void>[] = [];
    s.host.on('prepared', () => {
      late.push(s.counter.apply({ replica: 'c', by: 5 }), s.counter.apply({ replica: 'a', by: 1 }));
      s.log.calls.push('--prepared--');
    });
    const result = await s.host.reload(v2(s.w, s.log));
    await Promise.all(late);
    expect(await s.counter.value()).toBe(3 + 4 + 5 + 1);
    const calls = s.log.calls.slice(s.log.calls.indexOf('--prepared--') + 1).filter((c) => c !== 'value');
    // The round opens the next mark, takes the first one's delta and merges it, all before the pause.
    expect(calls).toEqual(['mark', 'delta', 'mergeDelta', 'paused:delta', 'paused:mergeDelta']);
    const detail = result.handoffs.find((h) => h.kind === 'crdtKind')!.detail;
    const emptyDelta = new TextEncoder().encode(JSON.stringify({ k: 'counter-delta', c: {} })).byteLength;
    expect(detail['deltaBytes']).toBe(emptyDelta); // nothing changed after the round
    expect(detail['precopyBytes']).toBeGreaterThan(emptyDelta); // the round carried c and a
    expect(result.timings.refreshMs).toBeGreaterThan(0);
    expect(s.log.openMarks).toBe(0);
    await s.host.close();
  });

  it('the gates close right after the pre-copy round, with no event-loop turn between; none without one', async () => {
    const s = await setUp();
    let turned = false;
    s.host.on('prepared', () => void setImmediate(() => (turned = true)));
    const turnedAtQuiesce: boolean[] = [];
    s.host.on('quiesced', () => turnedAtQuiesce.push(turned));
    const withRound = await s.host.reload(v2(s.w, s.log));
    expect(withRound.timings.refreshMs).toBeGreaterThan(0);
    expect(turnedAtQuiesce).toEqual([false]);
    await s.host.close();
    const w: World = world();
    const host = createPluginHost();
    await host.load(testPlugin('1.0.0', w));
    await host.openIndex({ name: 'idx', key: 'nearest', source: valuesTable([1, 2, 3]), column: 'v' });
    const withoutRound = await host.reload(testPlugin('2.0.0', w)); // an index has nothing to pre-copy
    expect(withoutRound.timings.refreshMs).toBe(0);
    await host.close();
  });

  it('a pause with no gated call in flight arms no timer (the drain and the absent journal return at once)', async () => {
    const s = await setUp(); // drainTimeoutMs 200: a drain that waited would arm its deadline
    const timers = vi.spyOn(globalThis, 'setTimeout');
    const armed: number[] = [];
    s.host.on('quiesced', () => void timers.mockClear());
    s.host.on('committed', () => void armed.push(timers.mock.calls.length));
    await s.host.reload(v2(s.w, s.log));
    timers.mockRestore();
    expect(armed).toEqual([0]);
    await s.host.close();
  });

  for (const step of ['mark', 'delta', 'mergeDelta'] as const)
    it(`a ${step} that fails in the pre-copy round refuses the reload before any pause; marks released, old serves`, async () => {
      const s = await setUp();
      const events: string[] = [];
      s.host.on('prepared', () => void (s.log.faults[step] = 'reject'));
      s.host.on('quiesced', () => events.push('quiesced'));
      const error = await rejection(s.host.reload(v2(s.w, s.log)));
      expect(error).toMatchObject({ code: 'HANDOFF_FAILED', phase: 'prepare', kind: 'crdtKind', step });
      expect(events).toEqual([]);
      expect(s.log.openMarks).toBe(0);
      expect(s.w.ledger.handles.filter((h) => h.version === '2.0.0').every((h) => h.closed)).toBe(true);
      s.log.faults[step] = undefined;
      await s.counter.apply({ replica: 'a', by: 1 });
      expect([s.counter.version, await s.counter.value()]).toEqual(['1.0.0', 8]);
      await s.host.close();
    });

  it('an abort after prepare refuses with ABORTED before the pre-copy round and before any pause', async () => {
    const s = await setUp();
    const controller = new AbortController();
    const events: string[] = [];
    s.host.on('prepared', () => {
      s.log.calls.push('--prepared--');
      controller.abort(new Error('operator stop'));
    });
    s.host.on('quiesced', () => events.push('quiesced'));
    const error = await rejection(s.host.reload(v2(s.w, s.log), { signal: controller.signal }));
    expect(error).toMatchObject({ code: 'ABORTED', phase: 'prepare' });
    expect(events).toEqual([]);
    expect(s.log.calls.slice(s.log.calls.indexOf('--prepared--') + 1)).toEqual([]); // no round ran
    expect(s.log.openMarks).toBe(0);
    expect(s.counter.version).toBe('1.0.0');
    await s.host.close();
  });

  it('a failure while preparing refuses the reload before any pause and releases the mark', async () => {
    const s = await setUp();
    s.log.faults.delta = 'throw';
    const events: string[] = [];
    s.host.on('quiesced', () => events.push('quiesced'));
    const error = await rejection(s.host.reload(v2(s.w, s.log)));
    expect(error).toMatchObject({ code: 'HANDOFF_FAILED', phase: 'prepare', kind: 'crdtKind', step: 'delta' });
    expect(events).toEqual([]);
    expect(s.log.openMarks).toBe(0);
    expect(s.w.ledger.handles.filter((h) => h.version === '2.0.0').every((h) => h.closed)).toBe(true);
    expect(s.counter.version).toBe('1.0.0');
    expect(await s.counter.value()).toBe(7);
    await s.host.close();
  });

  it('a failure inside the pause discards what was prepared: marks released, new handles closed, old serves', async () => {
    const s = await setUp();
    const stream = await s.host.startCdc({ name: 'feed', key: 'memory', fromLsn: 0n });
    await stream.deliver(batchAt(0n, 1));
    const error = await rejection(s.host.reload(v2(s.w, s.log, { cdc: { start: 'throw' } })));
    expect(error).toMatchObject({ code: 'HANDOFF_FAILED', phase: 'dispatch', step: 'start' });
    expect(s.log.openMarks).toBe(0);
    expect(s.w.ledger.handles.filter((h) => h.version === '2.0.0').every((h) => h.closed)).toBe(true);
    expect([s.index.version, s.counter.version, stream.version]).toEqual(['1.0.0', '1.0.0', '1.0.0']);
    await s.counter.apply({ replica: 'a', by: 1 });
    expect(await s.counter.value()).toBe(8);
    await s.host.close();
  });

  it('a mergeDelta that fails inside the pause rolls back; the old state keeps every write', async () => {
    const s = await setUp();
    s.host.on('quiesced', () => void (s.log.faults.mergeDelta = 'throw'));
    const error = await rejection(s.host.reload(v2(s.w, s.log)));
    expect(error).toMatchObject({ code: 'HANDOFF_FAILED', phase: 'dispatch', step: 'mergeDelta' });
    expect(s.log.openMarks).toBe(0);
    expect(s.counter.version).toBe('1.0.0');
    expect(await s.counter.value()).toBe(7);
    await s.host.close();
  });
});
