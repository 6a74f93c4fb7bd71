import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CdcBatch, CdcOutputProvider } from '@baton/core';
import { CdcPosition, callbackCdcOutput, fileCdcOutput, readFileSink } from '@baton/kinds';
import { describe, expect, it } from 'vitest';
import { assertCdcHandoff } from '../checks/cdcHandoff.js';
import { cdcOutputConformance } from '../conformance/otherConformance.js';

const tempDir = () => mkdtemp(join(tmpdir(), 'baton-cdc-kit-'));

describe('conformance: fileCdcOutput', () => {
  for (const c of cdcOutputConformance(
    'fileCdcOutput',
    (dir: string) => fileCdcOutput({ name: 'audit', directory: dir, bufferBytes: 256 }),
    {
      sink: tempDir,
      read: async (dir) => (await readFileSink(dir)).batches,
      dispose: (dir) => rm(dir, { recursive: true, force: true }),
      numRuns: 40,
    },
  )) {
    it(c.name, c.run, 60_000);
  }
});

/** A host-owned sink for the callback output: what was written, and the shared position. */
interface MemorySink {
  readonly written: CdcBatch[];
  readonly position: CdcPosition;
}

describe('conformance: callbackCdcOutput', () => {
  const factory = (sink: MemorySink) =>
    callbackCdcOutput({ name: 'feed', position: sink.position, onBatch: (b) => void sink.written.push(b) });
  for (const c of cdcOutputConformance('callbackCdcOutput', factory, {
    sink: () => ({ written: [], position: new CdcPosition(0n) }),
    read: (sink) => sink.written,
    numRuns: 80,
  })) {
    it(c.name, c.run, 30_000);
  }
});

describe('assertCdcHandoff', () => {
  it('catches an output that re-delivers the checkpoint batch after a restart', async () => {
    // A broken output: on start it resumes one batch early, so the batch ending at the checkpoint is written again.
    const broken = (sink: MemorySink): CdcOutputProvider => ({
      name: 'broken',
      start({ fromLsn }) {
        let position: bigint = fromLsn ?? sink.position.lsn ?? 0n;
        const last = sink.written.at(-1);
        if (fromLsn !== undefined && last && last.lsnEnd === fromLsn) position = last.lsnStart; // the bug
        return {
          deliver(batch) {
            if (batch.lsnEnd <= position) return;
            sink.written.push(batch);
            position = batch.lsnEnd;
          },
          checkpoint: () => position,
          shutdown: () => undefined,
        };
      },
    });
    const failure = await assertCdcHandoff(broken, broken, {
      sink: () => ({ written: [], position: new CdcPosition(0n) }),
      read: (s) => s.written,
      numRuns: 100,
    }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(failure?.message).toMatch(/CDC 'broken': the sink does not hold every batch exactly once/);
    expect(failure?.message).toMatch(/handoff after batch \d+ of \d+ \(LSN \d+\)/);
    expect(failure?.message).toMatch(/duplicated \[ '\d+-\d+' \]/);
  });
});
