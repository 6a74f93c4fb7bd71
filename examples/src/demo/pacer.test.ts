import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { Pacer } from './pacer.js';

/** A clock the test moves by hand. */
const manualClock = (): { ms: number; now(): number } => ({
  ms: 0,
  now() {
    return this.ms;
  },
});

describe('Pacer', () => {
  test.prop([fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 0, max: 2 ** 31 })])(
    'gives due times that only grow, the same for the same seed, and returns at once when the client is behind',
    async (rate, seed) => {
      const clock = manualClock();
      clock.ms = 1e9; // far behind every due time: nothing waits
      const dues = async (): Promise<number[]> => {
        clock.ms = 0;
        const p = new Pacer(clock, rate, seed);
        clock.ms = 1e9;
        const out: number[] = [];
        for (let i = 0; i < 50; i++) out.push(await p.next());
        return out;
      };
      const first = await dues();
      expect(first).toEqual(await dues());
      for (let i = 1; i < first.length; i++) expect(first[i]!).toBeGreaterThanOrEqual(first[i - 1]!);
      expect(first[0]!).toBeGreaterThanOrEqual(0);
    },
  );

  it('waits until a call is due (never returns early), and a stop while waiting rejects', async () => {
    const start = performance.now();
    const clock = { now: () => performance.now() - start };
    const pacer = new Pacer(clock, 10, 1);
    let settled = false;
    const next = pacer.next().then((due) => {
      settled = true;
      return due;
    });
    await Promise.resolve();
    expect(settled).toBe(false); // the first call is due after a random gap, not at once
    const due = await next;
    expect(due).toBeGreaterThan(0);
    expect(clock.now()).toBeGreaterThanOrEqual(due);
    // A client at one call in 100 s (its first is due seconds away, with this seed), stopped while it waits.
    const slow = new Pacer(clock, 0.01, 1);
    const stop = new AbortController();
    const waiting = slow.next(stop.signal);
    stop.abort(new Error('stopped'));
    await expect(waiting).rejects.toThrow();
  });

  it('refuses a rate that is not a positive number', () => {
    for (const rate of [0, -1, Number.NaN, Infinity])
      expect(() => new Pacer(manualClock(), rate, 1)).toThrow(RangeError);
  });
});
