import { createPluginHost, definePlugin } from '@baton/core';
import type { CdcBatch, PluginDefinition } from '@baton/core';
import { fc, test } from '@fast-check/vitest';
import { cdcBatches, cdcOutputConformance, lsnRanges } from '@baton/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { testDatabase } from '../__tests__/testServer.js';
import { postgresCdcOutput } from './postgresCdcOutput.js';
import { readPostgresSink } from './readPostgresSink.js';

let url: string;
let outputs = 0;

beforeAll(async () => {
  url = await testDatabase('sink');
});

/** A fresh output in the shared sink tables (each case gets its own offsets row and rows). */
interface Sink {
  readonly output: string;
}
const freshSink = (): Sink => ({ output: `case_${outputs++}` });
const provider = (sink: Sink, name = 'audit') => postgresCdcOutput({ name, url, output: sink.output });
const held = async (sink: Sink) => (await readPostgresSink({ name: 'check', url, output: sink.output })).batches;

describe('conformance: postgresCdcOutput', () => {
  for (const c of cdcOutputConformance('postgresCdcOutput', (sink: Sink) => provider(sink), {
    sink: freshSink,
    read: held,
    numRuns: 25,
  })) {
    it(c.name, c.run, 60_000);
  }
});

describe('postgresCdcOutput', () => {
  it('stores each batch with its rows as jsonb, its commit time, and the checkpoint in the same table set', async () => {
    const sink = freshSink();
    const [batches] = fc.sample(
      cdcBatches({ maxBatches: 5, startLsn: 0x1_0000_0000n }).filter((b) => b.length > 0),
      {
        numRuns: 1,
        seed: 7,
      },
    );
    const stream = await provider(sink).start({});
    for (const batch of batches!) await stream.deliver(batch);
    const checkpoint = await stream.checkpoint();
    await stream.shutdown();
    const contents = await readPostgresSink({ name: 'check', url, output: sink.output });
    expect(contents.checkpoint).toBe(checkpoint);
    expect(checkpoint).toBe(batches!.at(-1)!.lsnEnd);
    expect(contents.batches.map((b) => [b.lsnStart, b.lsnEnd, b.commitTimestamp, b.rows])).toEqual(
      batches!.map((b) => [b.lsnStart, b.lsnEnd, b.commitTimestamp, b.mutations.toArray().map((r) => r.toJSON())]),
    );
  });

  /** A version of the plugin; without `adopt` (`inMemory` false) a reload checkpoints, shuts down and starts. */
  const plugin = (version: string, sink: Sink, inMemory = true): PluginDefinition =>
    definePlugin({
      name: 'pg-sink',
      version,
      register(r) {
        const output = provider(sink, 'pg-sink');
        r.cdcOutput(inMemory ? output : { name: output.name, start: (options) => output.start(options) });
      },
    });

  test.prop([cdcBatches({ maxBatches: 12, maxRows: 3 }), fc.nat(), fc.nat(), fc.boolean()], { numRuns: 8 })(
    'a PluginHost reload (taken over in memory, or checkpoint → shutdown → start) loses and duplicates nothing, re-fed from earlier',
    async (batches, reloadSeed, refeedSeed, inMemory) => {
      const sink = freshSink();
      const host = createPluginHost();
      await host.load(plugin('1.0.0', sink));
      const feed = await host.startCdc({ name: 'feed', key: 'pg-sink', fromLsn: 0n });
      const reloadAt = reloadSeed % (batches.length + 1);
      for (const batch of batches.slice(0, reloadAt)) expect(await feed.deliver(batch)).toBe(true);
      const result = await host.reload(plugin('2.0.0', sink, inMemory));
      expect(result.handoffs.map((h) => h.name)).toEqual(['feed']);
      expect(result.handoffs[0]!.detail['byReference'] === true).toBe(inMemory);
      expect(feed.version).toBe('2.0.0');
      // The engine re-feeds from an earlier batch, as after a restart of its pump.
      const from = refeedSeed % (reloadAt + 1);
      for (const batch of batches.slice(from)) await feed.deliver(batch);
      await feed.close();
      await host.close();
      const stored = await held(sink);
      expect(lsnRanges(stored)).toEqual(lsnRanges(batches));
      // Taken over, v2 goes on with v1's writer (its session, lock and generation); restarted, it bumps it.
      expect(stored.map((b) => b.generation)).toEqual(batches.map((_, i) => (i < reloadAt || inMemory ? 1n : 2n)));
      expect(feed.finalLsn).toBe(batches.at(-1)?.lsnEnd ?? 0n);
    },
  );

  it('refuses bad options and arguments with INVALID_ARGUMENT', async () => {
    const codeOf = (run: () => unknown) =>
      Promise.resolve()
        .then(run)
        .then(
          () => 'resolved',
          (error: unknown) => (error as { code?: string }).code,
        );
    expect(await codeOf(() => postgresCdcOutput({ name: '', url }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(() => postgresCdcOutput({ name: 'a', url: 'http://x' }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(() => postgresCdcOutput({ name: 'a', url, schema: 'Bad Schema' }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(() => postgresCdcOutput({ name: 'a', url, tablePrefx: 'x' } as never))).toBe(
      'INVALID_ARGUMENT',
    );
    const sink = freshSink();
    expect(await codeOf(() => provider(sink).start({ fromLsn: -1n }))).toBe('INVALID_ARGUMENT');
    const stream = await provider(sink).start({ fromLsn: 100n });
    expect(stream.position).toBe(100n);
    const batch = (lsnStart: bigint, lsnEnd: bigint): CdcBatch => ({
      lsnStart,
      lsnEnd,
      mutations: fc.sample(
        cdcBatches({ maxBatches: 1 }).filter((b) => b.length === 1),
        1,
      )[0]![0]!.mutations,
      commitTimestamp: 1,
    });
    expect(await codeOf(() => stream.deliver(batch(90n, 110n)))).toBe('INVALID_ARGUMENT'); // overlaps the sink
    expect(await codeOf(() => stream.deliver({ ...batch(100n, 110n), commitTimestamp: Number.NaN }))).toBe(
      'INVALID_ARGUMENT',
    );
    await stream.deliver(batch(100n, 110n));
    await stream.shutdown();
    expect(await codeOf(() => stream.deliver(batch(110n, 120n)))).toBe('RESOURCE_CLOSED');
    // Ahead of the sink: starting there would lose [110, 200).
    expect(await codeOf(() => provider(sink).start({ fromLsn: 200n }))).toBe('INVALID_ARGUMENT');
    const resumed = await provider(sink).start({ fromLsn: 50n });
    expect(resumed.position).toBe(110n); // behind: resumes at the checkpoint
    await resumed.shutdown();
  });
});
