import { fc, test } from '@fast-check/vitest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { batchAt } from '../../__tests__/fixtures.js';
import { testPlugin, world } from '../../__tests__/plugins.js';
import { isPending } from '../../__tests__/latches.js';
import { ReloadError } from '../../errors/reloadError.js';
import type { CdcSource, CdcSourcePosition } from '../../surfaces/cdcSource.js';
import type { CallOptions, MaybePromise } from '../../util/maybePromise.js';
import { deferred } from '../../util/deferred.js';
import { createPluginHost } from '../pluginHost.js';

/** A source whose answers the test sets; it records each call and the signal it got. */
class ScriptedSource implements CdcSource {
  answer: (options?: CallOptions) => MaybePromise<CdcSourcePosition> = () => ({ headLsn: 0n, at: 0 });
  readonly signals: (AbortSignal | undefined)[] = [];
  sourcePosition(options?: CallOptions): MaybePromise<CdcSourcePosition> {
    this.signals.push(options?.signal);
    return this.answer(options);
  }
  get calls(): number {
    return this.signals.length;
  }
}

/** The same position read every time. */
const at = (headLsn: bigint, time: number, confirmedLsn?: bigint): CdcSourcePosition => ({
  headLsn,
  at: time,
  ...(confirmedLsn === undefined ? {} : { confirmedLsn }),
});

async function openStream() {
  const host = createPluginHost({ logger: false });
  const w = world();
  await host.load(testPlugin('1.0.0', w));
  const stream = await host.startCdc({ name: 'orders', key: 'memory', fromLsn: 0n });
  return { host, w, stream };
}

/**
 * What a reading says for a position, computed from every reading and every delivered batch so far
 * (nothing dropped): the earliest time the source is known to have had something past it.
 */
function expectedBehind(
  readings: readonly { head: bigint; at: number }[],
  commits: readonly { end: bigint; at: number }[],
  position: bigint,
) {
  const last = readings.at(-1)!;
  if (position >= last.head) return { lsn: 0n, ms: 0 };
  const times = [
    ...readings.filter((r) => r.head > position).map((r) => r.at),
    ...commits.filter((c) => c.end > position).map((c) => c.at),
  ];
  return { lsn: last.head - position, ms: last.at - Math.min(...times) };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('ManagedCdcStream.trackSource: the lag behind the source', () => {
  test.prop(
    [
      fc.array(
        fc.record({
          grow: fc.bigInt({ min: 0n, max: 50n }),
          wait: fc.integer({ min: 1, max: 1_000 }),
          committedBefore: fc.integer({ min: 0, max: 3_000 }),
          deliver: fc.bigInt({ min: 0n, max: 60n }),
          confirm: fc.bigInt({ min: 0n, max: 60n }),
        }),
        { minLength: 1, maxLength: 40 },
      ),
    ],
    { numRuns: 40 },
  )(
    'each position trails the head by its LSNs, dated by the earliest reading or delivered commit past it',
    async (steps) => {
      const { host, stream } = await openStream();
      const source = new ScriptedSource();
      const readings: { head: bigint; at: number }[] = [];
      const commits: { end: bigint; at: number }[] = [];
      let head = 0n;
      let time = 1_000_000;
      let confirmed = 0n;
      source.answer = () => at(head, time, confirmed);
      stream.trackSource(source, { intervalMs: 3_600_000 });
      await stream.readSourceLag(); // the first reading, made at once
      readings.push({ head, at: time });
      for (const step of steps) {
        head += step.grow;
        time += step.wait;
        // The stream delivers up to the head at most; the source's confirmed position moves up to
        // the head too (another reader of the source may be ahead of this stream).
        const delivered = stream.deliveredThrough!;
        const target = delivered + step.deliver > head ? head : delivered + step.deliver;
        if (target > delivered) {
          // It committed before now, after the batch before it (the source's clock).
          const committed = Math.max(commits.at(-1)?.at ?? 0, time - step.committedBefore);
          await stream.deliver({ ...batchAt(delivered, Number(target - delivered)), commitTimestamp: committed });
          commits.push({ end: target, at: committed });
        }
        const through = stream.deliveredThrough!;
        confirmed = confirmed + step.confirm > head ? head : confirmed + step.confirm;
        readings.push({ head, at: time });
        const lag = await stream.readSourceLag();
        expect(lag).toEqual({
          headLsn: head,
          at: time,
          // A stream behind the confirmed position counts from it: the source has nothing before it.
          delivered: expectedBehind(readings, commits, through > confirmed ? through : confirmed),
          confirmed: expectedBehind(readings, commits, confirmed),
        });
      }
      await host.close();
    },
  );

  it('reads at once, then every intervalMs, one reading at a time; collecting the lag reads nothing', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { host, stream } = await openStream();
    const source = new ScriptedSource();
    const slow = deferred<CdcSourcePosition>();
    source.answer = () => at(10n, 100);
    stream.trackSource(source, { intervalMs: 1_000, timeoutMs: 60_000 });
    expect(source.calls).toBe(1);
    await vi.advanceTimersByTimeAsync(0);
    expect(stream.sourceLag).toMatchObject({ headLsn: 10n, delivered: { lsn: 10n, ms: 0 } });
    for (let i = 0; i < 10; i++) expect(stream.sourceLag?.headLsn).toBe(10n);
    expect(source.calls).toBe(1);
    await vi.advanceTimersByTimeAsync(999);
    expect(source.calls).toBe(1);
    source.answer = () => slow.promise;
    await vi.advanceTimersByTimeAsync(1);
    expect(source.calls).toBe(2);
    await vi.advanceTimersByTimeAsync(5_000); // the reading is slow: no second one meanwhile
    expect(source.calls).toBe(2);
    const asked = stream.readSourceLag(); // joins the reading in flight
    expect(source.calls).toBe(2);
    slow.resolve(at(30n, 7_000));
    await expect(asked).resolves.toMatchObject({ headLsn: 30n, delivered: { lsn: 30n, ms: 6_900 } });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(source.calls).toBe(3);
    await host.close();
    await vi.advanceTimersByTimeAsync(10_000); // closed: no more readings
    expect(source.calls).toBe(3);
    expect(stream.sourceLag).toBeUndefined();
  });

  it('a position stuck over many readings keeps its age (the oldest reading past it is kept)', async () => {
    const { host, stream } = await openStream();
    const source = new ScriptedSource();
    let reading = 0;
    source.answer = () => at(BigInt(1 + reading), 1_000 * reading);
    stream.trackSource(source, { intervalMs: 3_600_000 });
    for (; reading < 1_000; reading++) await stream.readSourceLag();
    expect(stream.sourceLag).toEqual({ headLsn: 1_000n, at: 999_000, delivered: { lsn: 1_000n, ms: 999_000 } });
    await stream.deliver(batchAt(0n, 500));
    const { delivered } = stream.sourceLag!;
    // Past 256 readings some are dropped, spread evenly: the age is still a lower bound, off by at
    // most a few readings (the time covered over 128).
    expect(delivered!.lsn).toBe(500n);
    expect(delivered!.ms).toBeLessThanOrEqual(999_000 - 500_000);
    expect(delivered!.ms).toBeGreaterThanOrEqual(999_000 - 500_000 - 999_000 / 128);
    await host.close();
  });

  it('past 1024 held commits a position older than them all is dated exactly; one among the thinned ones by a bound', async () => {
    const { host, stream } = await openStream();
    const source = new ScriptedSource();
    const head = 10_000n;
    let time = 5_000_000;
    source.answer = () => at(head, time, 0n); // the source confirms nothing past 0 meanwhile
    stream.trackSource(source, { intervalMs: 3_600_000 });
    await stream.readSourceLag();
    // 3000 one-row batches, each committed 1 ms after the one before: more than the 1024 kept, so
    // the commits are thinned (every other one kept, the oldest always) each time 1024 are exceeded:
    // after 1025, 1537, 2049 and 2561 pushes.
    const batches = 3_000;
    for (let i = 0; i < batches; i++)
      await stream.deliver({ ...batchAt(BigInt(i), 1), commitTimestamp: 1_000_000 + i });
    time = 6_000_000;
    const lag = (await stream.readSourceLag())!;
    // Exact: the oldest commit past the confirmed position is never dropped.
    expect(lag.confirmed).toEqual({ lsn: head, ms: time - 1_000_000 });
    const through = stream.deliveredThrough!;
    expect(through).toBe(BigInt(batches));
    // Delivered through 3000, nothing in these commits is past it: only the readings date it.
    expect(lag.delivered).toEqual({ lsn: head - through, ms: 1_000_000 });
    // The source confirms through 1500, in the middle of the thinned commits: the first commit past
    // it may be gone, so the next one kept dates it — a lower bound, short by less than the gap
    // between kept commits (1 ms apart at first, doubled by each of the 4 thinnings of 3000 pushes).
    const confirmed = 1_500n;
    source.answer = () => at(head, time, confirmed);
    const later = (await stream.readSourceLag())!;
    const exact = time - (1_000_000 + Number(confirmed));
    expect(later.confirmed!.lsn).toBe(head - confirmed);
    expect(later.confirmed!.ms).toBeLessThanOrEqual(exact);
    expect(later.confirmed!.ms).toBeGreaterThan(exact - 2 ** 4);
    await host.close();
  });

  it('a failing source is reported with a typed error and never touches the stream', async () => {
    const { host, w, stream } = await openStream();
    const source = new ScriptedSource();
    source.answer = () => {
      throw new Error('no route to host');
    };
    stream.trackSource(source, { intervalMs: 3_600_000 });
    const error = await stream.readSourceLag().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReloadError);
    expect(error).toMatchObject({
      code: 'PROVIDER_FAILED',
      phase: 'call',
      kind: 'cdcOutput',
      key: 'orders',
      step: 'sourcePosition',
      message: expect.stringContaining('no route to host'),
    });
    expect(stream.sourceLag).toBeUndefined();
    expect(stream.sourceLagError).toBe(error);
    expect(await stream.deliver(batchAt(0n, 3))).toBe(true);
    expect(await stream.checkpoint()).toBe(3n);
    expect(w.sink.batches.map((b) => b.lsnEnd)).toContain(3n);

    const ioFailed = new ReloadError({ code: 'IO_FAILED', message: 'the server went away' });
    source.answer = () => Promise.reject(ioFailed);
    await expect(stream.readSourceLag()).rejects.toBe(ioFailed);

    source.answer = () => ({ headLsn: -1n });
    await expect(stream.readSourceLag()).rejects.toMatchObject({ code: 'INVALID_PROVIDER' });
    source.answer = () => ({ headLsn: 5n, confirmedLsn: 2 }) as unknown as CdcSourcePosition;
    await expect(stream.readSourceLag()).rejects.toMatchObject({ code: 'INVALID_PROVIDER' });

    source.answer = () => at(9n, 50, 3n);
    expect(await stream.readSourceLag()).toEqual({
      headLsn: 9n,
      at: 50,
      delivered: { lsn: 6n, ms: 0 },
      confirmed: { lsn: 6n, ms: 0 },
    });
    expect(stream.sourceLagError).toBeUndefined();
    await host.close();
  });

  it('a reading past timeoutMs fails with STEP_TIMEOUT and aborts its signal; the source is not asked again until it settles', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { host, stream } = await openStream();
    const source = new ScriptedSource();
    const hung = deferred<CdcSourcePosition>();
    source.answer = () => hung.promise; // ignores its signal
    stream.trackSource(source, { intervalMs: 1_000, timeoutMs: 200 });
    const first = stream.readSourceLag().catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(200);
    expect(await first).toMatchObject({ code: 'STEP_TIMEOUT', step: 'sourcePosition' });
    expect(source.signals[0]!.aborted).toBe(true);
    await vi.advanceTimersByTimeAsync(5_000); // five intervals: the source is still busy, not asked again
    expect(source.calls).toBe(1);
    expect(stream.sourceLagError).toMatchObject({
      code: 'STEP_TIMEOUT',
      message: expect.stringContaining('not settled'),
    });
    hung.resolve(at(1n, 1));
    source.answer = () => at(4n, 2);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(source.calls).toBe(2);
    expect(stream.sourceLag).toMatchObject({ headLsn: 4n });
    await host.close();
  });

  it('a caller that stops waiting gets ABORTED; the reading goes on', async () => {
    const { host, stream } = await openStream();
    const source = new ScriptedSource();
    const slow = deferred<CdcSourcePosition>();
    source.answer = () => slow.promise;
    stream.trackSource(source, { intervalMs: 3_600_000 });
    const controller = new AbortController();
    const waiting = stream.readSourceLag({ signal: controller.signal });
    expect(await isPending(waiting)).toBe(true);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'ABORTED' });
    slow.resolve(at(8n, 1));
    await expect(stream.readSourceLag()).resolves.toMatchObject({ headLsn: 8n });
    await host.close();
  });

  it('survives a reload (the handle keeps its source); detaching stops the readings', async () => {
    const { host, w, stream } = await openStream();
    const source = new ScriptedSource();
    source.answer = () => at(20n, 10);
    const untrack = stream.trackSource(source, { intervalMs: 3_600_000 });
    await stream.deliver(batchAt(0n, 5));
    await host.reload(testPlugin('2.0.0', w));
    expect(stream.version).toBe('2.0.0');
    expect(await stream.readSourceLag()).toMatchObject({ delivered: { lsn: 15n } });
    untrack();
    expect(stream.sourceLag).toBeUndefined();
    expect(await stream.readSourceLag()).toBeUndefined();
    const calls = source.calls;
    await stream.close();
    expect(source.calls).toBe(calls);
    await host.close();
  });

  it('refuses what is not a source, bad options and a closed stream', async () => {
    const { host, stream } = await openStream();
    const source = new ScriptedSource();
    expect(() => stream.trackSource({} as CdcSource)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    for (const options of [{ intervalMs: 0 }, { timeoutMs: 1.5 }, { intervalMs: 2 ** 31 }, { every: 5 }])
      expect(() => stream.trackSource(source, options as never)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      );
    expect(source.calls).toBe(0);
    await stream.close();
    expect(() => stream.trackSource(source)).toThrow(expect.objectContaining({ code: 'RESOURCE_CLOSED' }));
    await host.close();
  });
});
