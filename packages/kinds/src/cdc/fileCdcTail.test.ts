import { copyFile, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { batchAt, batchesOf, ranges, tempDir, typedError } from './__tests__/cdcFixtures.js';
import { CHECKPOINT_FILE, SINK_FILE } from './fileCheckpoint.js';
import { fileCdcOutput } from './fileCdcOutput.js';
import { readFileSink } from './readFileSink.js';

/**
 * The bytes after a sink's checkpoint are only ever cut once they are proven an unacknowledged
 * tail: no intact commit marker follows. The oracle here is independent of the code under test:
 * the end of the last commit marker anywhere in the sink, found by searching every byte for the
 * marker magic and checking the CRC.
 */
function lastMarkerEnd(sink: Uint8Array): number {
  const view = new DataView(sink.buffer, sink.byteOffset, sink.byteLength);
  let end = 0;
  for (let at = 0; at + 68 <= sink.byteLength; at++) {
    if (view.getUint32(at, true) !== 0x4b_4d_43_42 || view.getUint32(at + 4, true) !== 32) continue;
    const crc = crc32(sink.subarray(at + 36, at + 68), crc32(sink.subarray(at, at + 32)));
    if (crc === view.getUint32(at + 32, true)) end = at + 68;
  }
  return end;
}

/** A sink with one checkpoint per batch; returns the checkpoint file after each and the sink offset each covers. */
async function checkpointedSink(
  dir: string,
  sizes: readonly number[],
): Promise<{ copies: Buffer[]; offsets: number[] }> {
  const stream = await fileCdcOutput({ name: 'feed', directory: dir }).start({ fromLsn: 0n });
  const copies: Buffer[] = [];
  const offsets: number[] = [];
  for (const batch of batchesOf(sizes)) {
    await stream.deliver(batch);
    await stream.checkpoint();
    copies.push(await readFile(join(dir, CHECKPOINT_FILE)));
    offsets.push(stream.durable.offset);
  }
  await stream.shutdown();
  return { copies, offsets };
}

const files = async (dir: string): Promise<[Buffer, Buffer]> => [
  await readFile(join(dir, SINK_FILE)),
  await readFile(join(dir, CHECKPOINT_FILE)),
];

describe('fileCdcOutput: a start never cuts committed batches', () => {
  it('an old checkpoint over a damaged record: CORRUPT_INPUT naming the damage and the marker after it, nothing changed, whatever fromLsn', async () => {
    await using dir = await tempDir();
    const { copies, offsets } = await checkpointedSink(dir.path, [10, 10, 10, 10]);
    await writeFile(join(dir.path, CHECKPOINT_FILE), copies[0]!); // three commits behind
    const sink = await readFile(join(dir.path, SINK_FILE));
    sink[offsets[0]! + 60]! ^= 0xff; // a payload byte of the record right after the checkpoint
    await writeFile(join(dir.path, SINK_FILE), sink);
    const before = await files(dir.path);

    for (const fromLsn of [40n, 10n, undefined]) {
      const start = fileCdcOutput({ name: 'feed', directory: dir.path }).start(
        fromLsn === undefined ? {} : { fromLsn },
      );
      await expect(start).rejects.toMatchObject(
        typedError('CORRUPT_INPUT', `the sink is damaged at byte ${offsets[0]}`),
      );
      await expect(start).rejects.toMatchObject(typedError('CORRUPT_INPUT', 'checksum mismatch'));
      await expect(start).rejects.toMatchObject(
        typedError('CORRUPT_INPUT', `commit marker at byte ${offsets[1]! - 68}`),
      );
      expect(await files(dir.path)).toEqual(before);
    }

    // recovery 'scan' continues from what is provably committed, and saves the rest beside the sink first.
    const adopted = await fileCdcOutput({ name: 'feed', directory: dir.path, recovery: 'scan' }).start({});
    expect(adopted.position).toBe(10n);
    expect(adopted.salvaged).toBeDefined();
    expect(await readFile(adopted.salvaged!)).toEqual(sink.subarray(offsets[0]));
    for (const batch of batchesOf([10, 10, 10, 10])) await adopted.deliver(batch);
    await adopted.checkpoint();
    await adopted.shutdown();
    expect(ranges((await readFileSink(dir.path)).batches)).toEqual(['0-10', '10-20', '20-30', '30-40']);
  });

  it('a start with fromLsn ahead is refused before anything is cut or rolled forward', async () => {
    await using dir = await tempDir();
    const { copies } = await checkpointedSink(dir.path, [2, 2, 2]);
    await writeFile(join(dir.path, CHECKPOINT_FILE), copies[1]!); // one behind: would roll forward to 6
    const stream = await fileCdcOutput({ name: 'feed', directory: dir.path }).start({ fromLsn: 0n });
    await stream.deliver(batchAt(6n, 3)); // an unacknowledged tail
    await stream.idle();
    await stream.shutdown();
    await writeFile(join(dir.path, CHECKPOINT_FILE), copies[1]!);
    const before = await files(dir.path);
    await expect(fileCdcOutput({ name: 'feed', directory: dir.path }).start({ fromLsn: 7n })).rejects.toMatchObject(
      typedError('INVALID_ARGUMENT', 'complete through 6'),
    );
    expect(await files(dir.path)).toEqual(before);
  });

  it('the batch size limit does not decide what is committed: a record larger than maxBatchBytes in the tail', async () => {
    await using dir = await tempDir();
    const { copies } = await checkpointedSink(dir.path, [10, 2000, 10, 10]);
    const before = await readFile(join(dir.path, SINK_FILE));
    const small = (recovery: 'fail' | 'scan' = 'fail') =>
      fileCdcOutput({ name: 'feed', directory: dir.path, maxBatchBytes: 1000, recovery });

    await writeFile(join(dir.path, CHECKPOINT_FILE), copies[0]!); // three behind, a 2000-row record right after it
    await expect(small().start({ fromLsn: 0n })).rejects.toMatchObject(
      typedError('CORRUPT_INPUT', 'the checkpoint is older than the sink'),
    );
    expect(await readFile(join(dir.path, SINK_FILE))).toEqual(before);

    await writeFile(join(dir.path, CHECKPOINT_FILE), copies[2]!); // one behind: rolled forward past nothing large
    const rolled = await small().start({});
    expect(rolled.position).toBe(2030n);
    await rolled.shutdown();
    expect(await readFile(join(dir.path, SINK_FILE))).toEqual(before);

    await writeFile(join(dir.path, CHECKPOINT_FILE), copies[0]!);
    const adopted = await small('scan').start({});
    expect(adopted.position).toBe(2030n);
    expect(adopted.salvaged).toBeUndefined();
    await adopted.shutdown();
    expect(await readFile(join(dir.path, SINK_FILE))).toEqual(before);
    expect(ranges((await readFileSink(dir.path)).batches)).toEqual(['0-10', '10-2010', '2010-2020', '2020-2030']);
  });

  test.prop(
    [
      fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 6 }),
      fc.nat(),
      fc.option(
        fc.record({
          at: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
          xor: fc.integer({ min: 1, max: 255 }),
        }),
      ),
      fc.option(fc.nat(), { nil: undefined }),
      fc.constantFrom(64, 2048, undefined),
      fc.constantFrom('fail' as const, 'scan' as const),
      fc.nat({ max: 3 }),
    ],
    { numRuns: 40 },
  )(
    'any restored checkpoint, damaged byte, fromLsn, limit and recovery: refused with both files unchanged, or no commit marker lost',
    async (sizes, restoreSeed, damage, fromSeed, maxBatchBytes, recovery, tailRecords) => {
      await using dir = await tempDir();
      const { copies } = await checkpointedSink(dir.path, sizes);
      if (tailRecords > 0) {
        const extra = await fileCdcOutput({ name: 'feed', directory: dir.path }).start({});
        for (const batch of batchesOf(new Array<number>(tailRecords).fill(3), extra.position))
          await extra.deliver(batch);
        await extra.idle();
        await extra.shutdown(); // never checkpointed: an unacknowledged tail
      }
      await copyFile(join(dir.path, CHECKPOINT_FILE), join(dir.path, 'newest'));
      await writeFile(join(dir.path, CHECKPOINT_FILE), copies[restoreSeed % copies.length]!);
      const original = await readFile(join(dir.path, SINK_FILE));
      if (damage) {
        const damaged = Buffer.from(original);
        damaged[Math.floor(damage.at * damaged.length)]! ^= damage.xor;
        await writeFile(join(dir.path, SINK_FILE), damaged);
      }
      const before = await files(dir.path);
      const markersEnd = lastMarkerEnd(before[0]); // a marker the damage hit proves nothing any more
      const fromLsn = fromSeed === undefined ? undefined : BigInt(fromSeed % (sizes.reduce((a, b) => a + b, 0) + 2));
      const output = fileCdcOutput({
        name: 'feed',
        directory: dir.path,
        recovery,
        ...(maxBatchBytes ? { maxBatchBytes } : {}),
      });
      const started = await output.start(fromLsn === undefined ? {} : { fromLsn }).then(
        (stream) => stream,
        (error: unknown) => error as Error,
      );
      const [sinkAfter] = await files(dir.path);
      if (started instanceof Error) {
        expect(started).toMatchObject({ code: expect.stringMatching(/^(CORRUPT_INPUT|INVALID_ARGUMENT)$/) });
        expect(await files(dir.path)).toEqual(before);
        return;
      }
      await started.shutdown();
      expect(before[0].subarray(0, sinkAfter.length)).toEqual(sinkAfter); // only ever cut, never rewritten
      if (started.salvaged !== undefined)
        expect(await readFile(started.salvaged)).toEqual(before[0].subarray(sinkAfter.length));
      else expect(sinkAfter.length).toBeGreaterThanOrEqual(markersEnd); // no committed marker cut without a copy
      const names = await readdir(dir.path);
      expect(names.filter((name) => name.includes('.cut-at-')).length).toBe(started.salvaged === undefined ? 0 : 1);
    },
  );
});
