import { copyFile, open, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { frameChecked, unframeChecked } from '@baton/core/durable';
import type { CdcBatch } from '@baton/core';
import { tableFromArrays } from 'apache-arrow';
import { fc, test } from '@fast-check/vitest';
import { afterAll, describe, expect, it } from 'vitest';
import { pack, unpack } from '../codec/packr.js';
import { batchAt, batchesOf, contents, ranges, tempDir, typedError } from './__tests__/cdcFixtures.js';
import { CHECKPOINT_FILE, SINK_FILE } from './fileCheckpoint.js';
import { fileCdcOutput } from './fileCdcOutput.js';
import { readFileSink } from './readFileSink.js';
import { craftSink } from './__tests__/sinkCraft.js';
import { encodeRecord } from './sinkRecord.js';

/** One write a writer made: bytes at an offset of the sink, a cut of the sink, or a whole new checkpoint file. */
type Write =
  | { readonly file: 'sink'; readonly offset: number; readonly bytes: Buffer }
  | { readonly file: 'truncate'; readonly length: number }
  | { readonly file: 'checkpoint'; readonly bytes: Buffer };

/** Runs a real stream over `batches` (checkpointing where asked) and records every write it made to its files. */
async function recordWrites(
  dir: string,
  batches: readonly CdcBatch[],
  checkpointAfter: readonly boolean[],
  afterEachWrite?: (writes: readonly Write[]) => Promise<void>,
): Promise<Write[]> {
  const writes: Write[] = [];
  let sinkLength = (await readFile(join(dir, SINK_FILE)).catch(() => Buffer.alloc(0))).length;
  let checkpoint: Buffer = await readFile(join(dir, CHECKPOINT_FILE)).catch(() => Buffer.alloc(0));
  const capture = async (): Promise<void> => {
    const sink = await readFile(join(dir, SINK_FILE));
    if (sink.length > sinkLength) writes.push({ file: 'sink', offset: sinkLength, bytes: sink.subarray(sinkLength) });
    if (sink.length < sinkLength) writes.push({ file: 'truncate', length: sink.length });
    sinkLength = sink.length;
    const next = await readFile(join(dir, CHECKPOINT_FILE));
    if (!next.equals(checkpoint)) writes.push({ file: 'checkpoint', bytes: next });
    checkpoint = next;
    await afterEachWrite?.(writes);
  };
  const stream = await fileCdcOutput({ name: 'feed', directory: dir, bufferBytes: 1 }).start({});
  await capture();
  for (const [i, batch] of batches.entries()) {
    await stream.deliver(batch);
    await capture();
    if (checkpointAfter[i]) {
      await stream.checkpoint();
      await capture();
    }
  }
  await stream.checkpoint();
  await capture();
  await stream.shutdown();
  return writes;
}

/** Applies writes the way processes with their own file handles would: each at its own offset. */
async function applyWrites(dir: string, writes: readonly Write[]): Promise<void> {
  const sink = await open(join(dir, SINK_FILE), 'a+');
  try {
    for (const write of writes) {
      if (write.file === 'sink') await sink.write(write.bytes, 0, write.bytes.length, write.offset);
      else if (write.file === 'truncate') await sink.truncate(write.length);
      else await writeFile(join(dir, CHECKPOINT_FILE), write.bytes);
    }
  } finally {
    await sink.close();
  }
}

/** Batches of two rows (ids = their first two LSNs) covering the given LSN spans: every record has the same size. */
function spanBatches(spans: readonly number[], start = 0n): CdcBatch[] {
  let lsn = start;
  return spans.map((span) => {
    const batch = {
      lsnStart: lsn,
      lsnEnd: lsn + BigInt(span),
      mutations: tableFromArrays({ id: Int32Array.from([Number(lsn), Number(lsn) + 1]) }).batches[0]!,
      commitTimestamp: 1,
    };
    lsn = batch.lsnEnd;
    return batch;
  });
}

const isPrefixOf = (held: readonly CdcBatch[], of: readonly CdcBatch[]): boolean =>
  held.length <= of.length && ranges(held).join() === ranges(of.slice(0, held.length)).join();

describe('fileCdcOutput: the chain of committed records', () => {
  const outcomes = { refused: 0, accepted: 0 };
  afterAll(() => {
    console.log(
      `two writers on one sink (no lock): ${outcomes.refused + outcomes.accepted} interleavings, ` +
        `${outcomes.refused} refused with CORRUPT_INPUT, ${outcomes.accepted} accepted holding exactly one writer's committed prefix`,
    );
  });
  test.prop(
    [
      fc.array(fc.integer({ min: 2, max: 4 }), { minLength: 2, maxLength: 7 }),
      fc.array(fc.integer({ min: 2, max: 4 }), { minLength: 1, maxLength: 7 }),
      fc.array(fc.boolean(), { maxLength: 7 }),
      fc.array(fc.boolean(), { maxLength: 7 }),
      fc.nat(),
      fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }),
      fc.nat(),
    ],
    { numRuns: 80 },
  )(
    'a second process on the sink of a running one (a rolling restart without the lock): a start refuses the sink, or it holds exactly what one of them committed',
    async (spansA, spansB, checkpointsA, checkpointsB, joinSeed, order, crashSeed) => {
      // Writer A runs; writer B starts from the files as A left them after some write (B's start
      // reconciles them), re-fed from the checkpoint it found. Both then write at their own offsets.
      await using dirA = await tempDir();
      await using dirB = await tempDir();
      const a = spanBatches(spansA);
      let joinAt = -1;
      let bStart: bigint | undefined;
      const writesA = await recordWrites(dirA.path, a, checkpointsA, async (writes) => {
        if (bStart !== undefined || writes.length < 1 + (joinSeed % (2 * a.length + 2))) return;
        joinAt = writes.length;
        await copyFile(join(dirA.path, SINK_FILE), join(dirB.path, SINK_FILE));
        await copyFile(join(dirA.path, CHECKPOINT_FILE), join(dirB.path, CHECKPOINT_FILE));
        bStart = (await readFileSink(dirB.path)).checkpointLsn ?? 0n;
      });
      if (bStart === undefined) return; // A finished before B joined
      const b = [...a.filter((batch) => batch.lsnEnd <= bStart!), ...spanBatches(spansB, bStart)];
      const writesB = await recordWrites(dirB.path, b.slice(a.filter((x) => x.lsnEnd <= bStart!).length), checkpointsB);
      // The shared sink: A's writes up to the join, then A's and B's interleaved; the machine may stop anywhere.
      const merged: Write[] = writesA.slice(0, joinAt);
      const [queueA, queueB] = [writesA.slice(joinAt), [...writesB]];
      for (let i = 0; queueA.length + queueB.length > 0; i++) {
        const fromA = queueB.length === 0 || (queueA.length > 0 && order[i % order.length]!);
        merged.push((fromA ? queueA : queueB).shift()!);
      }
      await using dir = await tempDir();
      await applyWrites(dir.path, merged.slice(0, merged.length - (crashSeed % 4)));

      const started = await fileCdcOutput({ name: 'feed', directory: dir.path })
        .start({})
        .catch((error: unknown) => error);
      if (!('checkpoint' in (started as object))) {
        expect(started).toMatchObject(typedError('CORRUPT_INPUT'));
        outcomes.refused++;
        return;
      }
      const stream = started as Awaited<ReturnType<ReturnType<typeof fileCdcOutput>['start']>>;
      const lsn = await stream.checkpoint();
      await stream.shutdown();
      const sink = await readFileSink(dir.path);
      // Accepted: exactly a prefix of one writer's batches, through the checkpoint, nothing missing.
      expect(isPrefixOf(sink.batches, a) || isPrefixOf(sink.batches, b), JSON.stringify(ranges(sink.batches))).toBe(
        true,
      );
      expect(sink.batches.at(-1)?.lsnEnd ?? 0n).toBe(lsn);
      outcomes.accepted++;
      expect(contents(sink.batches)).toEqual(
        contents(spanBatches(sink.batches.map((x) => Number(x.lsnEnd - x.lsnStart)))),
      );
    },
  );

  it('refuses a hand-crafted sink whose records overlap, naming the record and the ranges', async () => {
    await using dir = await tempDir();
    await craftSink(
      dir.path,
      [batchAt(0n, 3), batchAt(2n, 3), batchAt(5n, 1)].map((b) => encodeRecord(b, 1 << 20) as Uint8Array),
    );
    const start = fileCdcOutput({ name: 'feed', directory: dir.path }).start({});
    await expect(start).rejects.toMatchObject(typedError('CORRUPT_INPUT', '[2, 5) overlaps'));
    await expect(start).rejects.toMatchObject(typedError('CORRUPT_INPUT', 'record at byte '));
    await expect(readFileSink(dir.path)).rejects.toMatchObject(typedError('CORRUPT_INPUT', '[2, 5) overlaps'));
  });

  it('refuses a sink from which a committed record was cut out (the checkpoint patched to match)', async () => {
    await using dir = await tempDir();
    const stream = await fileCdcOutput({ name: 'feed', directory: dir.path }).start({ fromLsn: 0n });
    for (const batch of batchesOf([2, 2, 2])) await stream.deliver(batch);
    await stream.checkpoint();
    await stream.shutdown();
    const sinkPath = join(dir.path, SINK_FILE);
    const sink = await readFile(sinkPath);
    const second = (encodeRecord(batchAt(2n, 2), 1 << 20) as Uint8Array).byteLength;
    const first = (encodeRecord(batchAt(0n, 2), 1 << 20) as Uint8Array).byteLength;
    await writeFile(sinkPath, Buffer.concat([sink.subarray(0, first), sink.subarray(first + second)]));
    // Patch the checkpoint's offsets so only its chain fields can tell.
    const fields = unpack(unframeChecked(new Uint8Array(await readFile(join(dir.path, CHECKPOINT_FILE))))) as unknown[];
    fields[3] = (fields[3] as number) - second;
    fields[4] = (fields[4] as number) - second;
    await writeFile(join(dir.path, CHECKPOINT_FILE), frameChecked(pack(fields)));
    const start = fileCdcOutput({ name: 'feed', directory: dir.path }).start({});
    await expect(start).rejects.toMatchObject(
      typedError('CORRUPT_INPUT', 'a batch record is missing, extra or replaced'),
    );
    await expect(start).rejects.toMatchObject(
      typedError('CORRUPT_INPUT', `commit marker at byte ${sink.length - second - 68}`),
    );
    await expect(readFileSink(dir.path)).rejects.toMatchObject(typedError('CORRUPT_INPUT', 'missing'));
  });
});

describe('fileCdcOutput: a checkpoint older than the sink', () => {
  /** A sink with three checkpoints; returns copies of the checkpoint file after each. */
  async function threeCheckpoints(dir: string): Promise<string[]> {
    const stream = await fileCdcOutput({ name: 'feed', directory: dir }).start({ fromLsn: 0n });
    const copies: string[] = [];
    for (const [i, batch] of batchesOf([2, 2, 2]).entries()) {
      await stream.deliver(batch);
      await stream.checkpoint();
      copies.push(join(dir, `checkpoint.gen${i + 1}`));
      await copyFile(join(dir, CHECKPOINT_FILE), copies.at(-1)!);
    }
    await stream.deliver(batchAt(6n, 1)); // never checkpointed: a tail to cut
    await stream.shutdown();
    return copies;
  }

  it('restored from a backup two checkpoints back: refused naming both positions, nothing cut; scan adopts the commits', async () => {
    await using dir = await tempDir();
    const copies = await threeCheckpoints(dir.path);
    const size = (await stat(join(dir.path, SINK_FILE))).size;
    await copyFile(copies[0]!, join(dir.path, CHECKPOINT_FILE));
    const start = fileCdcOutput({ name: 'feed', directory: dir.path }).start({});
    await expect(start).rejects.toMatchObject(typedError('CORRUPT_INPUT', 'the checkpoint is older than the sink'));
    await expect(start).rejects.toMatchObject(typedError('CORRUPT_INPUT', 'generation 1, LSN 2 at byte'));
    await expect(start).rejects.toMatchObject(typedError('CORRUPT_INPUT', 'through generation 3, LSN 6 at byte'));
    expect((await stat(join(dir.path, SINK_FILE))).size).toBe(size);

    const adopted = await fileCdcOutput({ name: 'feed', directory: dir.path, recovery: 'scan' }).start({});
    expect(await adopted.checkpoint()).toBe(6n);
    await adopted.shutdown();
    expect(ranges((await readFileSink(dir.path)).batches)).toEqual(['0-2', '2-4', '4-6']);
  });

  it('one checkpoint back (what a crash between syncing the sink and replacing the checkpoint leaves): rolled forward', async () => {
    await using dir = await tempDir();
    const copies = await threeCheckpoints(dir.path);
    await copyFile(copies[1]!, join(dir.path, CHECKPOINT_FILE));
    const stream = await fileCdcOutput({ name: 'feed', directory: dir.path }).start({ fromLsn: 4n });
    expect(stream.durable).toMatchObject({ generation: 3, lsn: 6n });
    for (const batch of batchesOf([2, 2, 2, 1])) await stream.deliver(batch); // re-fed from the start: 6-7 is new
    await stream.checkpoint();
    await stream.shutdown();
    expect(ranges((await readFileSink(dir.path)).batches)).toEqual(['0-2', '2-4', '4-6', '6-7']);
  });
});

describe('fileCdcOutput: sinks written before commit markers (checkpoint format 1)', () => {
  /** A sink as the previous format wrote it: batch records only, a 6-field checkpoint. */
  async function legacySink(dir: string, batches: readonly CdcBatch[], tail?: CdcBatch): Promise<void> {
    const records = batches.map((b) => encodeRecord(b, 1 << 20) as Uint8Array);
    const offset = records.reduce((n, r) => n + r.byteLength, 0);
    const extra = tail ? [encodeRecord(tail, 1 << 20) as Uint8Array] : [];
    await writeFile(join(dir, SINK_FILE), Buffer.concat([...records, ...extra]));
    const last = offset - records.at(-1)!.byteLength;
    const fields = ['baton.fileCdc.checkpoint', 1, batches.at(-1)!.lsnEnd, offset, last, 0n];
    await writeFile(join(dir, CHECKPOINT_FILE), frameChecked(pack(fields)));
  }

  it('are read and resumed; a start leaves the old checkpoint as it is until batches are checkpointed', async () => {
    await using dir = await tempDir();
    const batches = batchesOf([2, 1, 3]);
    await legacySink(dir.path, batches, batchAt(6n, 1));
    expect(ranges((await readFileSink(dir.path)).batches)).toEqual(['0-2', '2-3', '3-6']);
    const legacyCheckpoint = await readFile(join(dir.path, CHECKPOINT_FILE));

    const output = fileCdcOutput({ name: 'feed', directory: dir.path });
    const first = await output.start({ fromLsn: 6n }); // the uncommitted 6-7 is cut
    expect(await first.checkpoint()).toBe(6n);
    await first.shutdown();
    // What a rolled-back reload needs: code of the previous format can still restart here.
    expect(await readFile(join(dir.path, CHECKPOINT_FILE))).toEqual(legacyCheckpoint);

    const second = await output.start({ fromLsn: 6n });
    await second.deliver(batchAt(6n, 2));
    await second.checkpoint();
    await second.shutdown();
    const format = (
      unpack(unframeChecked(new Uint8Array(await readFile(join(dir.path, CHECKPOINT_FILE))))) as unknown[]
    )[1];
    expect(format).toBe(2);
    const third = await output.start({}); // the chain now runs through old records and the first marker
    expect(third.durable).toMatchObject({ generation: 1, records: 4, lsn: 8n });
    await third.shutdown();
    expect(ranges((await readFileSink(dir.path)).batches)).toEqual(['0-2', '2-3', '3-6', '6-8']);
  });
});
