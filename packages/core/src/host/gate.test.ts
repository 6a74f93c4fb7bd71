import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { Gate } from './gate.js';

describe('Gate', () => {
  it('releases waiting calls in arrival order when it opens', async () => {
    const gate = new Gate(10, 'p');
    gate.close();
    const order: number[] = [];
    const waits = [0, 1, 2].map((i) => gate.wait().then(() => order.push(i)));
    expect(gate.waiting).toBe(3);
    expect(gate.open().queued).toBe(3);
    await Promise.all(waits);
    expect(order).toEqual([0, 1, 2]);
  });

  it('puts one listener on a signal many waiting calls share; aborting it rejects them all', async () => {
    const gate = new Gate(1000, 'p');
    const controller = new AbortController();
    gate.close();
    const waits = Array.from({ length: 50 }, () => gate.wait(controller.signal));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort();
    const settled = await Promise.allSettled(waits);
    expect(settled.every((s) => s.status === 'rejected' && (s.reason as { code?: string }).code === 'ABORTED')).toBe(
      true,
    );
    expect(gate.waiting).toBe(0);
  });

  it('a call released by open is not rejected by a later abort of its signal', async () => {
    const gate = new Gate(10, 'p');
    const controller = new AbortController();
    gate.close();
    const wait = gate.wait(controller.signal);
    gate.open();
    controller.abort();
    await expect(wait).resolves.toBeUndefined();
  });

  it('refuses one call more than the limit with QUEUE_FULL', async () => {
    const gate = new Gate(1, 'p');
    gate.close();
    const first = gate.wait();
    await expect(gate.wait()).rejects.toMatchObject({ code: 'QUEUE_FULL' });
    gate.open();
    await first;
  });
});
