import { getEventListeners } from 'node:events';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it, vi } from 'vitest';
import { nextTurn } from '../__tests__/latches.js';
import { withDeadline } from './deadline.js';
import { mapBounded } from './boundedMap.js';
import { deferred } from './deferred.js';
import type { Deferred } from './deferred.js';

describe('withDeadline', () => {
  it('returns the value of a call that settles in time', async () => {
    await expect(withDeadline(async () => 42, { timeoutMs: 100 })).resolves.toBe(42);
    await expect(withDeadline(() => 7, { timeoutMs: 100 })).resolves.toBe(7);
  });

  it('abandons a call that hangs, aborts its signal and disposes of a late value', async () => {
    let seen: AbortSignal | undefined;
    let finish!: (v: string) => void;
    const disposed = deferred();
    const onLate = vi.fn(() => {
      disposed.resolve();
    });
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
    await disposed.promise;
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
    const running = withDeadline(
      (signal) =>
        new Promise<AbortSignal>(
          (resolve) =>
            (finish = () => {
              resolve(signal);
            }),
        ),
      {
        timeoutMs: 1000,
        signal: controller.signal,
      },
    );
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
  test.prop([fc.scheduler()], { numRuns: 50 })(
    'never runs more than the limit at once and keeps order, whatever order the calls finish in',
    async (s) => {
      let running = 0;
      let peak = 0;
      const results = mapBounded([...Array(20).keys()], 3, async (n) => {
        running++;
        peak = Math.max(peak, running);
        await s.schedule(Promise.resolve(), `call ${n}`); // the scheduler decides when each call finishes
        running--;
        return n * 2;
      });
      await s.waitFor(results);
      expect(peak).toBe(3);
      expect((await results).map((r) => (r.status === 'fulfilled' ? r.value : null))).toEqual(
        [...Array(20).keys()].map((n) => n * 2),
      );
    },
  );

  it('starts nothing new after a failure but awaits what runs', async () => {
    const started: number[] = [];
    const calls = new Map<number, Deferred<number>>();
    const pending = mapBounded([0, 1, 2, 3, 4, 5], 2, (n) => {
      started.push(n);
      const call = deferred<number>();
      calls.set(n, call);
      return call.promise;
    });
    await nextTurn();
    expect(started).toEqual([0, 1]);
    calls.get(1)!.reject(new Error('one')); // 1 fails while 0 still runs
    await nextTurn();
    expect(started).toEqual([0, 1]);
    calls.get(0)!.resolve(0);
    const results = await pending;
    expect(results[0]).toEqual({ status: 'fulfilled', value: 0 });
    expect(results[1]).toMatchObject({ status: 'rejected' });
    expect(results.filter((r) => r.status === 'skipped').length).toBeGreaterThan(0);
    expect(started.length).toBeLessThan(6);
  });
});
