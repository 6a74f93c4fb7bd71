import { describe, expect, it } from 'vitest';
import { deltaCounter } from '../__tests__/fixtures.js';
import type { CounterLog } from '../__tests__/fixtures.js';
import { setUp, v2 } from '../__tests__/preparedSetup.js';
import type { CounterOp } from '../__tests__/preparedSetup.js';
import { rejection } from '../__tests__/rejection.js';
import type { CrdtKindProvider, CrdtMark, CrdtState } from '../surfaces/crdtKind.js';

/** The fixture counter whose states' `mark()` goes through `hook` (given the state's own `mark`). */
function hookedMarks(
  hook: (mark: () => Promise<CrdtMark>, n: number) => Promise<CrdtMark>,
): (log: CounterLog) => CrdtKindProvider<CounterOp, number> {
  let n = 0;
  return (log) => {
    const p = deltaCounter(log);
    const hooked = (st: CrdtState<CounterOp, number>): CrdtState<CounterOp, number> => {
      const own = st.mark!.bind(st);
      return Object.assign(st, { mark: () => hook(async () => own(), ++n) });
    };
    return {
      ...p,
      empty: async () => hooked(await p.empty()),
      fromPersisted: async (bytes) => hooked(await p.fromPersisted(bytes)),
    };
  };
}

/** The calls after the 'prepared' event, `value` left out. */
function afterPrepared(log: CounterLog): string[] {
  return log.calls.slice(log.calls.indexOf('--prepared--') + 1).filter((c) => c !== 'value');
}

describe("a mark's changed(): the pause skips a delta that carries nothing", () => {
  it('no change since the pre-copy round: the pause asks changed() and merges no delta', async () => {
    const s = await setUp();
    s.log.changed = true;
    const late: Promise<void>[] = [];
    s.host.on('prepared', () => {
      late.push(s.counter.apply({ replica: 'c', by: 5 })); // carried by the round
      s.log.calls.push('--prepared--');
    });
    const result = await s.host.reload(v2(s.w, s.log));
    await Promise.all(late);
    expect(afterPrepared(s.log)).toEqual(['mark', 'delta', 'mergeDelta', 'paused:changed']);
    expect(result.handoffs.find((h) => h.kind === 'crdtKind')!.detail).toMatchObject({
      deltaBytes: 0,
      changed: false,
    });
    expect(s.counter.version).toBe('2.0.0');
    expect(await s.counter.value()).toBe(3 + 4 + 5);
    expect(s.log.openMarks).toBe(0);
    await s.host.close();
  });

  it("a change after the round's mark opened: changed() says so and the pause merges its delta", async () => {
    const s = await setUp();
    s.log.changed = true;
    let round = false;
    s.host.on('prepared', () => void (round = true));
    const late: Promise<void>[] = [];
    // While the round takes the first mark's delta (the next mark is open), a write lands.
    s.log.onCall = (call) => {
      if (round && call === 'delta' && !s.log.paused && late.length === 0)
        late.push(s.counter.apply({ replica: 'd', by: 2 }));
    };
    const result = await s.host.reload(v2(s.w, s.log));
    await Promise.all(late);
    expect(s.log.calls.filter((c) => c.startsWith('paused:'))).toEqual([
      'paused:changed',
      'paused:delta',
      'paused:mergeDelta',
    ]);
    expect(result.handoffs.find((h) => h.kind === 'crdtKind')!.detail['deltaBytes']).toBeGreaterThan(0);
    expect(await s.counter.value()).toBe(3 + 4 + 2);
    await s.host.close();
  });

  for (const fault of ['throw', 'reject', 'garbage'] as const)
    it(`a changed() that fails (${fault}) inside the pause rolls back; the old state keeps every write`, async () => {
      const s = await setUp();
      s.log.changed = true;
      s.host.on('quiesced', () => void (s.log.faults.changed = fault));
      const error = await rejection(s.host.reload(v2(s.w, s.log)));
      expect(error).toMatchObject({ code: 'HANDOFF_FAILED', phase: 'dispatch', kind: 'crdtKind', step: 'changed' });
      if (fault === 'garbage') expect(String(error)).toMatch(/expected a boolean/);
      expect(s.log.openMarks).toBe(0);
      expect(s.counter.version).toBe('1.0.0');
      s.log.faults.changed = undefined;
      await s.counter.apply({ replica: 'a', by: 1 });
      expect(await s.counter.value()).toBe(8);
      await s.host.close();
    });

  it('a mark whose changed is not a function is refused before any pause', async () => {
    const s = await setUp({
      crdt: hookedMarks(async (mark) => Object.assign(await mark(), { changed: true })),
    });
    const quiesced: string[] = [];
    s.host.on('quiesced', () => quiesced.push('quiesced'));
    const error = await rejection(s.host.reload(v2(s.w, s.log)));
    expect(error).toMatchObject({ code: 'HANDOFF_FAILED', phase: 'prepare', step: 'mark' });
    expect(String(error)).toMatch(/'changed' must be a function/);
    expect(quiesced).toEqual([]);
    expect(await s.counter.value()).toBe(7);
    await s.host.close();
  });
});

describe('the pre-copy round with a mark that answers late', () => {
  it('a write landing while the next mark opens is in the first delta: none is lost', async () => {
    let landed: Promise<void> | undefined;
    const writer: { counter?: { apply(op: CounterOp): Promise<void> } } = {};
    // The round's mark (the second on the old state) answers a turn later, after a write went through.
    const s = await setUp({
      crdt: hookedMarks(async (mark, n) => {
        if (n === 2) {
          await new Promise((resolve) => setImmediate(resolve));
          await (landed = writer.counter!.apply({ replica: 'e', by: 6 }));
        }
        return mark();
      }),
    });
    writer.counter = s.counter;
    await s.host.reload(v2(s.w, s.log));
    await landed;
    expect(landed).toBeDefined();
    expect(s.counter.version).toBe('2.0.0');
    expect(await s.counter.value()).toBe(3 + 4 + 6);
    await s.host.close();
  });
});
