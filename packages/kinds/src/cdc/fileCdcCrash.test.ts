import { appendFile, readFile, stat, truncate, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { batchAt, batchesOf, contents, endOf, ranges, tempDir, typedError } from './__tests__/cdcFixtures.js';
import { CHECKPOINT_FILE, SINK_FILE } from './fileCheckpoint.js';
import { fileCdcOutput } from './fileCdcOutput.js';
import { decodeHeader, decodeRecord, encodeRecord, MARKER_PAYLOAD_BYTES, RECORD_HEADER_BYTES } from './sinkRecord.js';
import type { SinkRecord } from './sinkRecord.js';
import type { FileCdcStream } from './fileCdcStream.js';
import { readFileSink } from './readFileSink.js';

/** A crash: the stream is abandoned without checkpoint or shutdown; only its file handle is closed, after a newer stream fenced it. */
async function abandon(stream: FileCdcStream): Promise<void> {
  await stream.shutdown(); // fenced: closes the file without writing anything
}

describe('fileCdcOutput: crash and restart', () => {
  test.prop(
    [
      fc.array(fc.nat({ max: 4 }), { minLength: 1, maxLength: 12 }),
      fc.nat(),
      fc.nat(),
      fc.nat(),
      fc.oneof(
        fc.constant({ kind: 'none' as const }),
        fc.record({ kind: fc.constant('torn' as const), keep: fc.double({ min: 0, max: 1, noNaN: true }) }),
        fc.record({ kind: fc.constant('garbage' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
      ),
      fc.constantFrom(1, 400, 1 << 20),
      fc.boolean(),
    ],
    { numRuns: 30 },
  )(
    'no loss and no duplicate when the process dies after any delivery, with a torn or garbled tail',
    async (sizes, checkpointSeed, deliveredSeed, replaySeed, damage, bufferBytes, hostKnowsLsn) => {
      await using dir = await tempDir();
      const batches = batchesOf(sizes);
      const delivered = deliveredSeed % (batches.length + 1);
      const checkpointed = checkpointSeed % (delivered + 1);
      const output = () => fileCdcOutput({ name: 'feed', directory: dir.path, bufferBytes });

      const crashed = await output().start({ fromLsn: 0n });
      for (const batch of batches.slice(0, checkpointed)) await crashed.deliver(batch);
      const lsn = await crashed.checkpoint();
      for (const batch of batches.slice(checkpointed, delivered)) await crashed.deliver(batch); // written (maybe), never checkpointed
      await crashed.idle();

      const sinkPath = join(dir.path, SINK_FILE);
      const committed = crashed.durable.offset;
      const size = (await stat(sinkPath)).size;
      if (damage.kind === 'torn') await truncate(sinkPath, committed + Math.floor((size - committed) * damage.keep));
      if (damage.kind === 'garbage') await appendFile(sinkPath, damage.bytes);

      // The host restarts from the last checkpoint it knows (or lets the output use its own) and re-delivers from there or earlier.
      const restarted = await output().start(hostKnowsLsn ? { fromLsn: lsn } : {});
      await abandon(crashed);
      expect(await restarted.checkpoint()).toBe(lsn);
      const replay = replaySeed % (checkpointed + 1);
      for (const batch of batches.slice(replay)) await restarted.deliver(batch);
      expect(await restarted.checkpoint()).toBe(endOf(batches, batches.length));
      await restarted.shutdown();

      const sink = await readFileSink(dir.path);
      expect(ranges(sink.batches)).toEqual(ranges(batches));
      expect(contents(sink.batches)).toEqual(contents(batches));
      expect(sink.uncommittedBytes).toBe(0);
    },
  );

  it('cuts off bytes written after the last checkpoint on start, and readFileSink never shows them', async () => {
    await using dir = await tempDir();
    const output = fileCdcOutput({ name: 'feed', directory: dir.path, bufferBytes: 1 });
    const stream = await output.start({ fromLsn: 0n });
    await stream.deliver(batchAt(0n, 2));
    await stream.checkpoint();
    await stream.deliver(batchAt(2n, 2));
    await stream.idle();
    const before = await readFileSink(dir.path);
    expect(ranges(before.batches)).toEqual(['0-2']);
    expect(before.uncommittedBytes).toBeGreaterThan(0);
    const again = await output.start({});
    await abandon(stream);
    expect((await readFileSink(dir.path)).uncommittedBytes).toBe(0);
    await again.shutdown();
  });
});

describe('fileCdcOutput: damaged checkpoint or sink', () => {
  async function sinkWith(path: string, sizes: number[]): Promise<bigint> {
    const stream = await fileCdcOutput({ name: 'feed', directory: path }).start({ fromLsn: 0n });
    for (const batch of batchesOf(sizes)) await stream.deliver(batch);
    const lsn = await stream.checkpoint();
    await stream.shutdown();
    return lsn;
  }

  test.prop([fc.nat(), fc.integer({ min: 1, max: 255 }), fc.boolean()], { numRuns: 25 })(
    "a corrupt or torn checkpoint is CORRUPT_INPUT; recovery 'scan' rebuilds it without loss or duplicates",
    async (at, xor, tear) => {
      await using dir = await tempDir();
      const batches = batchesOf([1, 2, 3]);
      const lsn = await sinkWith(dir.path, [1, 2, 3]);
      const checkpointPath = join(dir.path, CHECKPOINT_FILE);
      const bytes = await readFile(checkpointPath);
      if (tear) await writeFile(checkpointPath, bytes.subarray(0, at % bytes.length));
      else {
        bytes[at % bytes.length]! ^= xor;
        await writeFile(checkpointPath, bytes);
      }
      await expect(fileCdcOutput({ name: 'feed', directory: dir.path }).start({ fromLsn: lsn })).rejects.toMatchObject(
        typedError('CORRUPT_INPUT', "recovery: 'scan'"),
      );
      await expect(readFileSink(dir.path)).rejects.toMatchObject(typedError('CORRUPT_INPUT'));

      const recovered = await fileCdcOutput({ name: 'feed', directory: dir.path, recovery: 'scan' }).start({
        fromLsn: lsn,
      });
      expect(await recovered.checkpoint()).toBe(lsn);
      for (const batch of [...batches, batchAt(lsn, 2)]) await recovered.deliver(batch);
      await recovered.checkpoint();
      await recovered.shutdown();
      expect(ranges((await readFileSink(dir.path)).batches)).toEqual([...ranges(batches), `${lsn}-${lsn + 2n}`]);
    },
  );

  test.prop([fc.nat(), fc.integer({ min: 1, max: 255 })], { numRuns: 25 })(
    'a corrupted committed byte of the sink is detected',
    async (at, xor) => {
      await using dir = await tempDir();
      const lsn = await sinkWith(dir.path, [2, 2, 2]);
      const sinkPath = join(dir.path, SINK_FILE);
      const bytes = await readFile(sinkPath);
      bytes[at % bytes.length]! ^= xor;
      await writeFile(sinkPath, bytes);
      await expect(readFileSink(dir.path)).rejects.toMatchObject(typedError('CORRUPT_INPUT'));
      // Start checks the last committed record; scan recovery keeps the whole prefix and refuses to skip what it lost.
      const start = fileCdcOutput({ name: 'feed', directory: dir.path, recovery: 'scan' }).start({ fromLsn: lsn });
      await start.then(
        (stream) => stream.shutdown(),
        (error: unknown) => {
          expect(error).toMatchObject(typedError('INVALID_ARGUMENT', 'would lose batches'));
        },
      );
    },
  );

  it("a sink shorter than its checkpoint is CORRUPT_INPUT; 'scan' then refuses a fromLsn past what survived", async () => {
    await using dir = await tempDir();
    const lsn = await sinkWith(dir.path, [2, 2, 2]);
    const sinkPath = join(dir.path, SINK_FILE);
    // Tear the last batch record (the commit marker after it goes with it).
    await truncate(sinkPath, (await stat(sinkPath)).size - RECORD_HEADER_BYTES - MARKER_PAYLOAD_BYTES - 5);
    await expect(fileCdcOutput({ name: 'feed', directory: dir.path }).start({ fromLsn: lsn })).rejects.toMatchObject(
      typedError('CORRUPT_INPUT', 'sink holds'),
    );
    await expect(readFileSink(dir.path)).rejects.toMatchObject(typedError('CORRUPT_INPUT'));
    const scan = fileCdcOutput({ name: 'feed', directory: dir.path, recovery: 'scan' });
    await expect(scan.start({ fromLsn: lsn })).rejects.toMatchObject(
      typedError('INVALID_ARGUMENT', 'would lose batches [4, 6)'),
    );
    const resumed = await scan.start({ fromLsn: 4n });
    expect(await resumed.checkpoint()).toBe(4n);
    await resumed.shutdown();
  });

  it("a missing checkpoint over a non-empty sink is CORRUPT_INPUT; 'scan' recovers it", async () => {
    await using dir = await tempDir();
    await sinkWith(dir.path, [1, 1]);
    await unlink(join(dir.path, CHECKPOINT_FILE));
    await expect(fileCdcOutput({ name: 'feed', directory: dir.path }).start({ fromLsn: 0n })).rejects.toMatchObject(
      typedError('CORRUPT_INPUT', 'missing'),
    );
    const recovered = await fileCdcOutput({ name: 'feed', directory: dir.path, recovery: 'scan' }).start({});
    expect(await recovered.checkpoint()).toBe(2n);
    await recovered.shutdown();
    expect(await readFileSink(dir.path)).toMatchObject({ checkpointLsn: 2n, baseLsn: 0n });
  });

  it('reads an empty or never-started sink', async () => {
    await using dir = await tempDir();
    expect(await readFileSink(dir.path)).toEqual({
      checkpointLsn: undefined,
      baseLsn: undefined,
      batches: [],
      uncommittedBytes: 0,
    });
  });
});

const MAX = 1 << 20;

function asRecord(bytes: Uint8Array): SinkRecord | string {
  const header = decodeHeader(bytes, MAX);
  if (typeof header === 'string') return header;
  return { offset: 0, end: bytes.byteLength, header, payload: bytes.subarray(RECORD_HEADER_BYTES) };
}

describe('sink records', () => {
  test.prop(
    [
      fc.bigInt({ min: 0n, max: 2n ** 64n - 100n }),
      fc.nat({ max: 20 }),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
    ],
    { numRuns: 60 },
  )('round-trip LSNs, timestamp and Arrow rows', (lsnStart, rows, commitTimestamp) => {
    const batch = { ...batchAt(lsnStart % 1_000_000n, rows), commitTimestamp };
    const wide = { ...batch, lsnStart, lsnEnd: lsnStart + 7n };
    const record = encodeRecord(wide, MAX);
    if (typeof record === 'string') throw new Error(record);
    const decoded = decodeRecord(asRecord(record) as SinkRecord);
    expect(typeof decoded).toBe('object');
    expect(contents([decoded as typeof wide])).toEqual(contents([wide]));
  });

  it('refuses a payload over the limit when encoding and when decoding a header', () => {
    const batch = batchAt(0n, 50);
    expect(encodeRecord(batch, 16)).toMatch(/exceeds the limit of 16/);
    const record = encodeRecord(batch, MAX) as Uint8Array;
    expect(decodeHeader(record, 16)).toMatch(/exceeds the limit/);
    expect(decodeHeader(record.subarray(0, 10), MAX)).toMatch(/shorter than a record header/);
    const wrongMagic = record.slice();
    wrongMagic[0] = 0;
    expect(decodeHeader(wrongMagic, MAX)).toMatch(/magic/);
  });

  it('reports a payload that is not one Arrow batch', () => {
    const record = encodeRecord(batchAt(0n, 2), MAX) as Uint8Array;
    const header = decodeHeader(record, MAX);
    if (typeof header === 'string') throw new Error(header);
    expect(decodeRecord({ offset: 0, end: 0, header, payload: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]) })).toMatch(
      /Arrow (stream|message)|record batches/,
    );
  });
});
