import { copyFile, open, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { frameChecked, unframeChecked } from '@baton/core';
import type { CdcBatch } from '@baton/core';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { pack, unpack } from '../codec/packr.js';
import { batchAt, batchesOf, contents, ranges, tempDir, typedError } from './__tests__/cdcFixtures.js';
import { CHECKPOINT_FILE, SINK_FILE } from './fileCheckpoint.js';
import { fileCdcOutput } from './fileCdcOutput.js';
import { readFileSink } from './readFileSink.js';
import { craftSink } from './__tests__/sinkCraft.js';
import { encodeRecord } from './sinkRecord.js';

/** One write a writer made: bytes at an offset of the sink, or a whole new checkpoint file. */
type Write =
  | { readonly file: 'sink'; readonly offset: number; readonly bytes: Buffer }
  | { readonly file: 'checkpoint'; readonly bytes: Buffer };

/** Runs a real stream over `batches` (checkpointing where asked) and records every write it made to its files. */
async function recordWrites(batches: readonly CdcBatch[], checkpointAfter: readonly boolean[]): Promise<Write[]> {
  await using dir = await tempDir();
  const writes: Write[] = [];
  let sinkLength = 0;
  let checkpoint: Buffer = Buffer.alloc(0);
  const capture = async (): Promise<void> => {
    const sink = await readFile(join(dir.path, SINK_FILE));
    if (sink.length > sinkLength) writes.push({ file: 'sink', offset: sinkLength, bytes: sink.subarray(sinkLength) });
    sinkLength = sink.length;
    const next = await readFile(join(dir.path, CHECKPOINT_FILE));
    if (!next.equals(checkpoint)) writes.push({ file: 'checkpoint', bytes: next });
    checkpoint = next;
  };
  const stream = await fileCdcOutput({ name: 'feed', directory: dir.path, bufferBytes: 1 }).start({ fromLsn: 0n });
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

/** Applies writes the way two processes with their own file handles would: each at its own offset. */
async function applyWrites(dir: string, writes: readonly Write[]): Promise<void> {
  const sink = await open(join(dir, SINK_FILE), 'a+');
  try {
    for (const write of writes) {
      if (write.file === 'sink') await sink.write(write.bytes, 0, write.bytes.length, write.offset);
      else await writeFile(join(dir, CHECKPOINT_FILE), write.bytes);
    }
  } finally {
    await sink.close();
  }
}

const isPrefixOf = (held: readonly CdcBatch[], of: readonly CdcBatch[]): boolean =>
  held.length <= of.length && ranges(held).join() === ranges(of.slice(0, held.length)).join();

describe('fileCdcOutput: the chain of committed records', () => {
  test.prop(
    [
      fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 2, maxLength: 7 }),
      fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 2, maxLength: 7 }),
      fc.array(fc.boolean(), { maxLength: 7 }),
      fc.array(fc.boolean(), { maxLength: 7 }),
      fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }),
      fc.nat(),
    ],
    { numRuns: 40 },
  )(
    'two writers with different batch boundaries on one sink: a start refuses it, or it holds exactly what one of them committed',
    async (sizesA, sizesB, checkpointsA, checkpointsB, order, crashSeed) => {
      const [a, b] = [batchesOf(sizesA), batchesOf(sizesB)];
      const [writesA, writesB] = await Promise.all([recordWrites(a, checkpointsA), recordWrites(b, checkpointsB)]);
      // Interleave the two writers' writes, and let the machine stop anywhere.
      const merged: Write[] = [];
      const [queueA, queueB] = [[...writesA], [...writesB]];
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
      expect(contents(sink.batches)).toEqual(
        contents(batchesOf(sink.batches.map((x) => Number(x.lsnEnd - x.lsnStart)))),
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
