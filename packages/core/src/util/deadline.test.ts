import { getEventListeners } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { withDeadline } from './deadline.js';
import { mapBounded } from './boundedMap.js';

describe('withDeadline', () => {
  it('returns the value of a call that settles in time', async () => {
    await expect(withDeadline(async () => 42, { timeoutMs: 100 })).resolves.toBe(42);
    await expect(withDeadline(() => 7, { timeoutMs: 100 })).resolves.toBe(7);
  });

  it('abandons a call that hangs, aborts its signal and disposes of a late value', async () => {
    let seen: AbortSignal | undefined;
    let finish!: (v: string) => void;
    const onLate = vi.fn();
    const call = withDeadline(
      (signal) => {
        seen = signal;
        return new Promise<string>((resolve) => (finish = resolve));
      },
      { timeoutMs: 20, onLate },
    );
    await expect(call).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(seen?.aborted).toBe(true);
    finish('late handle');
    await new Promise((r) => setTimeout(r, 5));
    expect(onLate).toHaveBeenCalledWith('late handle');
  });

  it('rejects at once when the parent signal aborts', async () => {
    const controller = new AbortController();
    const call = withDeadline(() => new Promise(() => undefined), { timeoutMs: 10_000, signal: controller.signal });
    controller.abort();
    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
    await expect(withDeadline(() => 1, { timeoutMs: 10, signal: controller.signal })).rejects.toMatchObject({
      name: 'AbortError',
    });
  });

  it('puts one listener on a parent signal however many calls run under it, and aborts them all', async () => {
    const controller = new AbortController();
    const seen: AbortSignal[] = [];
    const calls = Array.from({ length: 200 }, () =>
      withDeadline(
        (signal) => {
          seen.push(signal);
          return new Promise(() => undefined);
        },
        { timeoutMs: 10_000, signal: controller.signal },
      ),
    );
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort(new Error('stop'));
    const settled = await Promise.allSettled(calls);
    expect(settled.every((s) => s.status === 'rejected' && (s.reason as Error).message === 'stop')).toBe(true);
    expect(seen.every((signal) => signal.aborted)).toBe(true);
  });

  it('forgets a settled call: a later abort of the parent reaches only the calls still running', async () => {
    const controller = new AbortController();
    const done = await withDeadline(async (signal) => signal, { timeoutMs: 1000, signal: controller.signal });
    let finish!: () => void;
    const running = withDeadline((signal) => new Promise<AbortSignal>((resolve) => (finish = () => resolve(signal))), {
      timeoutMs: 1000,
      signal: controller.signal,
    });
    controller.abort();
    await expect(running).rejects.toMatchObject({ name: 'AbortError' });
    expect(done.aborted).toBe(false);
    finish();
  });

  it('turns a synchronous throw into a rejection', async () => {
    await expect(
      withDeadline(
        () => {
          throw new Error('sync');
        },
        { timeoutMs: 10 },
      ),
    ).rejects.toThrow('sync');
  });
});

describe('mapBounded', () => {
  it('never runs more than the limit at once and keeps order', async () => {
    let running = 0;
    let peak = 0;
    const results = await mapBounded([...Array(20).keys()], 3, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 1));
      running--;
      return n * 2;
    });
    expect(peak).toBe(3);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : null))).toEqual(
      [...Array(20).keys()].map((n) => n * 2),
    );
  });

  it('starts nothing new after a failure but awaits what runs', async () => {
    const started: number[] = [];
    const results = await mapBounded([0, 1, 2, 3, 4, 5], 2, async (n) => {
      started.push(n);
      await new Promise((r) => setTimeout(r, n === 1 ? 1 : 5));
      if (n === 1) throw new Error('one');
      return n;
    });
    expect(results[0]).toEqual({ status: 'fulfilled', value: 0 });
    expect(results[1]).toMatchObject({ status: 'rejected' });
    expect(results.filter((r) => r.status === 'skipped').length).toBeGreaterThan(0);
    expect(started.length).toBeLessThan(6);
  });
});
