import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CdcBatch, CdcOutputProvider, CdcStream, CdcTakeover } from '@baton/core';
import { fileCdcOutput, readFileSink } from '@baton/kinds';
import { describe, expect, it } from 'vitest';
import { assertCdcHandoff } from './cdcHandoff.js';

/** A sink in memory: batches made durable by checkpoints, in order. */
interface MemorySink {
  durable: CdcBatch[];
}

type Bug = 'losesBuffer' | 'takesAnyLayout' | 'closeForgetsBuffer';

/**
 * An output buffering deliveries until `checkpoint` (as a file output does), with an in-memory
 * takeover of layout `memory/1` — honest unless `bug` says: `adopt` drops the buffered batches,
 * takes any layout, or `takeover.close()` releases without making the buffer durable.
 */
function bufferedOutput(sink: MemorySink, bug?: Bug): CdcOutputProvider {
  const stream = (buffer: CdcBatch[], last: bigint): CdcStream => ({
    deliver(batch) {
      if (batch.lsnEnd <= last) return;
      buffer.push(batch);
      last = batch.lsnEnd;
    },
    checkpoint() {
      sink.durable.push(...buffer.splice(0));
      return last;
    },
    shutdown: () => undefined,
    detach(): CdcTakeover {
      const held = { buffer, last };
      return {
        output: 'memory',
        layout: 'memory/1',
        lsn: last,
        state: held,
        close() {
          if (bug !== 'closeForgetsBuffer') sink.durable.push(...held.buffer.splice(0));
          return held.last;
        },
      };
    },
  });
  return {
    name: 'memory',
    start({ fromLsn }) {
      sink.durable = sink.durable.filter((b) => fromLsn !== undefined && b.lsnEnd <= fromLsn);
      return stream([], fromLsn ?? 0n);
    },
    adopt(takeover) {
      if (takeover.layout !== 'memory/1' && bug !== 'takesAnyLayout') return undefined;
      const held = takeover.state as { buffer: CdcBatch[]; last: bigint };
      return stream(bug === 'losesBuffer' ? [] : held.buffer, held.last);
    },
  };
}

const memory = (bug?: Bug) => ({
  provider: (sink: MemorySink) => bufferedOutput(sink, bug),
  options: { sink: (): MemorySink => ({ durable: [] }), read: (sink: MemorySink) => sink.durable, numRuns: 150 },
});

const failureOf = (run: Promise<unknown>): Promise<Error | undefined> =>
  run.then(
    () => undefined,
    (error: unknown) => error as Error,
  );

describe('assertCdcHandoff: detach → adopt', () => {
  it('accepts an honest buffered output, and the file CDC output adopting its own takeovers', async () => {
    const { provider, options } = memory();
    await assertCdcHandoff(provider, provider, { ...options, expectAdopt: true });
    const file = (dir: string) => fileCdcOutput({ name: 'audit', directory: dir, bufferBytes: 256 });
    await assertCdcHandoff(file, file, {
      sink: () => mkdtemp(join(tmpdir(), 'baton-cdc-adopt-')),
      read: async (dir) => (await readFileSink(dir)).batches,
      dispose: (dir) => rm(dir, { recursive: true, force: true }),
      expectAdopt: true,
      numRuns: 30,
    });
  }, 60_000);

  it('catches an adopt that loses the buffered batches', async () => {
    const { provider, options } = memory('losesBuffer');
    const failure = await failureOf(assertCdcHandoff(provider, provider, options));
    expect(failure?.message).toMatch(/CDC 'memory': the sink does not hold every batch exactly once/);
    expect(failure?.message).toMatch(/detach → adopt, handoff after batch [1-9]\d* of \d+ \(LSN \d+\)/);
    expect(failure?.message).toMatch(/lost \[ '\d+-\d+'/);
  });

  it('catches an adopt that continues a takeover of a layout it does not read', async () => {
    const { provider, options } = memory('takesAnyLayout');
    const failure = await failureOf(assertCdcHandoff(provider, provider, options));
    expect(failure?.message).toMatch(
      /CDC 'memory': detach → adopt of an unknown layout, .*: adopt\(\) took a takeover of a layout it does not read \('memory\/1\+unknown-to-any-version'\)/,
    );
  });

  it('catches a takeover whose close() does not make the buffered batches durable', async () => {
    const { provider, options } = memory('closeForgetsBuffer');
    const failure = await failureOf(assertCdcHandoff(provider, provider, options));
    expect(failure?.message).toMatch(/CDC 'memory': the sink does not hold every batch exactly once/);
    expect(failure?.message).toMatch(/detach → adopt of an unknown layout, handoff after batch [1-9]/);
  });

  it('fails when adoption was expected of an output without the hooks', async () => {
    const { provider, options } = memory();
    const noAdopt = (sink: MemorySink): CdcOutputProvider => {
      const p = provider(sink);
      return { name: p.name, start: (o) => p.start(o) };
    };
    const failure = await failureOf(assertCdcHandoff(provider, noAdopt, { ...options, expectAdopt: true }));
    expect(failure?.message).toMatch(/CDC 'memory': adoption was expected, but the new provider has no adopt\(\)/);
    await assertCdcHandoff(provider, noAdopt, { ...options, numRuns: 40 });
  });
});
