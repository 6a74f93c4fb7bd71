import { describe, expect, it } from 'vitest';
import { batchAt, counterLog, deltaCounter } from '../__tests__/fixtures.js';
import { testPlugin, world } from '../__tests__/plugins.js';
import type { PluginOptions } from '../__tests__/plugins.js';
import { rejection } from '../__tests__/rejection.js';
import { createPluginHost } from './pluginHost.js';

/** A host on v1 whose CDC streams can be taken over in memory; 3 batches delivered, none checkpointed. */
async function setUp() {
  const w = world();
  w.faults.cdc.takeover = true;
  const log = counterLog();
  const host = createPluginHost({ drainTimeoutMs: 200, stepTimeoutMs: 200 });
  await host.load(testPlugin('1.0.0', w, { crdt: deltaCounter(log) }));
  const stream = await host.startCdc({ name: 'feed', key: 'memory', fromLsn: 0n });
  for (const lsn of [0n, 1n, 2n]) await stream.deliver(batchAt(lsn, 1));
  const counter = await host.openCrdt<{ replica: string; by: number }, number>({ name: 'hits', key: 'counter' });
  await counter.apply({ replica: 'a', by: 1 }); // a live state the compat check reads
  const durable = w.sink.durable;
  return { host, w, log, stream, durable };
}

const v2 = (s: Awaited<ReturnType<typeof setUp>>, cdc: PluginOptions['cdc'] = { takeover: true }) =>
  testPlugin('2.0.0', s.w, { crdt: deltaCounter(s.log), cdc });

/** Delivers two more batches and checks the sink holds every batch once, in order. */
async function expectExactlyOnce(s: Awaited<ReturnType<typeof setUp>>, version: string): Promise<void> {
  expect(s.stream.version).toBe(version);
  for (const lsn of [3n, 4n]) expect(await s.stream.deliver(batchAt(lsn, 1))).toBe(true);
  expect(s.w.sink.ranges()).toEqual(['0-1', '1-2', '2-3', '3-4', '4-5']);
}

describe('a CDC stream taken over in memory', () => {
  it('moves to the new provider with no checkpoint inside the pause', async () => {
    const s = await setUp();
    const result = await s.host.reload(v2(s));
    expect(s.w.sink.durable).toBe(s.durable); // nothing was made durable by the reload
    expect(result.handoffs.find((h) => h.kind === 'cdcOutput')!.detail).toMatchObject({
      byReference: true,
      checkpointLsn: 3n,
    });
    await expectExactlyOnce(s, '2.0.0');
    expect(await s.stream.checkpoint()).toBe(5n);
    await s.host.close();
  });

  it('a layout the new provider does not read: the takeover is closed (checkpointed) and the new one starts there', async () => {
    const s = await setUp();
    s.w.faults.cdc.layout = 'memory/9';
    const result = await s.host.reload(v2(s));
    expect(s.w.sink.durable).toBe(3n);
    expect(result.handoffs.find((h) => h.kind === 'cdcOutput')!.detail).toMatchObject({ byReference: false });
    await expectExactlyOnce(s, '2.0.0');
    await s.host.close();
  });

  it('adopt fails: the old provider takes the stream back, the reload rolls back, nothing lost or doubled', async () => {
    const s = await setUp();
    const error = await rejection(s.host.reload(v2(s, { takeover: true, adopt: 'throw' })));
    expect(error).toMatchObject({ code: 'HANDOFF_FAILED', phase: 'dispatch', step: 'adopt' });
    await expectExactlyOnce(s, '1.0.0');
    await s.host.close();
  });

  it('adopt fails on both sides: the takeover is closed and the old provider restarts at its LSN', async () => {
    const s = await setUp();
    s.w.faults.cdc.adopt = 'throw';
    const error = await rejection(s.host.reload(v2(s, { takeover: true, adopt: 'throw' })));
    expect(error).toMatchObject({ code: 'HANDOFF_FAILED', step: 'adopt' });
    expect(s.w.sink.durable).toBe(3n);
    s.w.faults.cdc.adopt = undefined;
    await expectExactlyOnce(s, '1.0.0');
    await s.host.close();
  });

  it('another handoff fails after the adopt: the new stream is handed back to the old provider', async () => {
    const s = await setUp();
    s.host.on('quiesced', () => void (s.log.faults.mergeDelta = 'throw'));
    const next = testPlugin('2.0.0', s.w, { crdt: deltaCounter(s.log), cdc: { takeover: true } });
    const error = await rejection(s.host.reload(next));
    expect(error).toMatchObject({ code: 'HANDOFF_FAILED', step: 'mergeDelta' });
    s.log.faults.mergeDelta = undefined;
    expect(s.w.sink.durable).toBe(s.durable);
    await expectExactlyOnce(s, '1.0.0');
    await s.host.close();
  });

  it('detach fails but the old stream still checkpoints: it serves on, undisturbed', async () => {
    const s = await setUp();
    s.w.faults.cdc.detach = 'throw';
    const error = await rejection(s.host.reload(v2(s)));
    expect(error).toMatchObject({ code: 'HANDOFF_FAILED', step: 'detach' });
    s.w.faults.cdc.detach = undefined;
    await expectExactlyOnce(s, '1.0.0');
    await s.host.close();
  });
});
