import { ReloadError, createPluginHost, definePlugin, isReloadError } from '@baton/core';
import type { CdcBatch, CdcStream } from '@baton/core';
import { fc, test } from '@fast-check/vitest';
import { Int32, Table, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import type { PostgresChangeSource } from '../source/postgresChangeSource.js';
import { pumpChanges } from './pumpChanges.js';
import type { PumpOptions } from './pumpChanges.js';

/** What a sink call does on its turn: succeed, fail before writing, or write and then fail (the acknowledgement lost). */
type Fault = 'ok' | 'before' | 'after';

function batch(i: number): CdcBatch {
  const mutations = new Table({ id: vectorFromArray([i], new Int32()) }).batches[0]!;
  return { lsnStart: BigInt(i * 10), lsnEnd: BigInt(i * 10 + 10), mutations, commitTimestamp: 0 };
}

/** A change source's part the pump uses: `count` batches, then closed; confirmations recorded. */
function fakeSource(count: number) {
  let i = 0;
  const confirmed: bigint[] = [];
  const source = {
    next: () => Promise.resolve(i < count ? batch(i++) : undefined),
    confirm: (lsn: bigint) => {
      confirmed.push(lsn);
    },
    get confirmedLsn() {
      return confirmed.at(-1) ?? 0n;
    },
  };
  return { source: source as unknown as PostgresChangeSource, confirmed };
}

/** A sink that holds batches in memory with a checkpoint, failing its calls as `faults` say (then succeeding). */
function faultySink(
  faults: Fault[],
  code: 'IO_FAILED' | 'LOCKED' | 'INVALID_ARGUMENT' = 'IO_FAILED',
  details?: Record<string, unknown>,
) {
  const held: bigint[] = [];
  let checkpoint = 0n;
  let call = 0;
  let calm = true; // until the pump starts (the host checkpoints a stream it starts)
  const fail = (): never => {
    throw new ReloadError({
      code,
      phase: 'call',
      message: `the sink is unreachable (call ${call})`,
      ...(details ? { details } : {}),
    });
  };
  const stream: CdcStream = {
    deliver(b) {
      const fault = calm ? 'ok' : (faults[call++] ?? 'ok');
      if (fault === 'before') fail();
      if (b.lsnEnd > checkpoint) {
        held.push(b.lsnStart);
        checkpoint = b.lsnEnd;
      }
      if (fault === 'after') fail();
    },
    checkpoint() {
      const fault = calm ? 'ok' : (faults[call++] ?? 'ok');
      if (fault !== 'ok') fail();
      return checkpoint;
    },
    shutdown: () => undefined,
  };
  return {
    held,
    stream,
    checkpoint: () => checkpoint,
    /** Calls made while faults were on. */
    calls: () => call,
    /** Faults from now on (the pump starts). */
    storm: () => {
      calm = false;
    },
    /** No more faults (the host's close checkpoints the stream once more). */
    calm: () => {
      calm = true;
    },
  };
}

/** Pumps `count` batches into the sink through a real host's managed stream. */
async function pumpThroughHost(count: number, sink: ReturnType<typeof faultySink>, options: PumpOptions = {}) {
  const host = createPluginHost();
  await host.load(
    definePlugin({
      name: 'sink',
      version: '1.0.0',
      register(r) {
        r.cdcOutput({ name: 'out', start: () => sink.stream });
      },
    }),
  );
  const feed = await host.startCdc({ name: 'feed', key: 'out' });
  const { source, confirmed } = fakeSource(count);
  sink.storm();
  try {
    const report = await pumpChanges(source, feed, {
      checkpointEvery: 2,
      retry: { initialDelayMs: 1, maxDelayMs: 4, timeoutMs: 5_000 },
      ...options,
    });
    return { report, confirmed };
  } finally {
    sink.calm();
    await host.close();
  }
}

describe('pumpChanges retries a sink that is briefly unreachable', () => {
  test.prop(
    [fc.integer({ min: 1, max: 12 }), fc.array(fc.constantFrom<Fault>('ok', 'before', 'after'), { maxLength: 40 })],
    {
      numRuns: 60,
    },
  )(
    'every batch once, in order, through the managed stream; the slot confirmed only to checkpoints',
    async (count, faults) => {
      const sink = faultySink(faults);
      const checkpoints: bigint[] = [];
      const { report, confirmed } = await pumpThroughHost(count, sink, {
        onConfirm: (lsn) => void checkpoints.push(lsn),
      });
      expect(sink.held).toEqual(Array.from({ length: count }, (_, i) => BigInt(i * 10)));
      expect(confirmed).toEqual(checkpoints); // each confirmation is a checkpoint the sink returned
      expect(confirmed.at(-1)).toBe(sink.checkpoint());
      // Every failed call was made again: as many retries as faults met.
      expect(report.retries).toBe(faults.slice(0, sink.calls()).filter((f) => f !== 'ok').length);
    },
  );

  it('rejects at the first failure with retry: false, confirming nothing past it', async () => {
    const sink = faultySink(['ok', 'ok', 'ok', 'before']);
    const error = await pumpThroughHost(5, sink, { retry: false }).catch((e: unknown) => e);
    expect(isReloadError(error) && error.code).toBe('IO_FAILED');
    expect(sink.held).toEqual([0n, 10n]);
  });

  it('does not retry a failure that is not retryable, and gives up after retry.timeoutMs', async () => {
    const invalid = faultySink(['before'], 'INVALID_ARGUMENT');
    const retried: unknown[] = [];
    const first = await pumpThroughHost(3, invalid, { onRetry: (e) => retried.push(e) }).catch((e: unknown) => e);
    expect(isReloadError(first) && first.code).toBe('INVALID_ARGUMENT');
    expect(retried).toEqual([]);

    const down = faultySink(
      Array.from({ length: 10_000 }, () => 'before' as const),
      'LOCKED',
    );
    const last = await pumpThroughHost(3, down, { retry: { initialDelayMs: 5, maxDelayMs: 20, timeoutMs: 150 } }).catch(
      (e: unknown) => e,
    );
    expect(isReloadError(last) && last.code).toBe('LOCKED');
    expect(down.held).toEqual([]);
  });

  it('stops at once when the sink fenced the writer (a newer lease token owns the stream): no retry', async () => {
    const fenced = faultySink(['before'], 'LOCKED', { fenced: true });
    const retried: unknown[] = [];
    const error = await pumpThroughHost(3, fenced, { onRetry: (e) => retried.push(e) }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'LOCKED', details: { fenced: true } });
    expect(retried).toEqual([]);
    expect(fenced.held).toEqual([]);
  });
});
