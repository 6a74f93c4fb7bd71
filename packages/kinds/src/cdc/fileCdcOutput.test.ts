import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { batchAt, batchesOf, contents, endOf, ranges, tempDir, typedError } from './__tests__/cdcFixtures.js';
import { fileCdcOutput } from './fileCdcOutput.js';
import { readFileSink } from './readFileSink.js';

describe('fileCdcOutput: reload handoff', () => {
  test.prop(
    [
      fc.array(fc.nat({ max: 4 }), { minLength: 1, maxLength: 12 }),
      fc.nat(),
      fc.nat(),
      fc.array(fc.boolean(), { maxLength: 12 }),
      fc.constantFrom(1, 300, 1 << 20),
    ],
    { numRuns: 25 },
  )(
    'exactly once across checkpoint → shutdown → start({ fromLsn }) at any cut, with re-delivery from earlier',
    async (sizes, cutSeed, replaySeed, midCheckpoints, bufferBytes) => {
      await using dir = await tempDir();
      const batches = batchesOf(sizes);
      const cut = cutSeed % (batches.length + 1);
      const replay = replaySeed % (cut + 1);

      const old = fileCdcOutput({ name: 'feed', directory: dir.path, bufferBytes });
      const first = await old.start({ fromLsn: 0n });
      for (const [i, batch] of batches.slice(0, cut).entries()) {
        await first.deliver(batch);
        if (midCheckpoints[i]) expect(await first.checkpoint()).toBe(batch.lsnEnd);
      }
      const lsn = await first.checkpoint();
      expect(lsn).toBe(endOf(batches, cut)); // what the host's discipline checks (expectedLsn)
      await first.shutdown();

      const next = fileCdcOutput({ name: 'feed', directory: dir.path, bufferBytes });
      const second = await next.start({ fromLsn: lsn });
      for (const batch of batches.slice(replay)) await second.deliver(batch);
      expect(await second.checkpoint()).toBe(endOf(batches, batches.length));
      await second.shutdown();

      const sink = await readFileSink(dir.path);
      expect(ranges(sink.batches)).toEqual(ranges(batches));
      expect(contents(sink.batches)).toEqual(contents(batches));
      expect(sink).toMatchObject({ checkpointLsn: endOf(batches, batches.length), baseLsn: 0n, uncommittedBytes: 0 });
    },
  );

  it('checkpoint() with nothing delivered returns the start LSN; a new sink may start anywhere', async () => {
    await using dir = await tempDir();
    const output = fileCdcOutput({ name: 'feed', directory: join(dir.path, 'nested', 'sink') });
    const stream = await output.start({ fromLsn: 40n });
    expect(await stream.checkpoint()).toBe(40n);
    await stream.deliver(batchAt(30n, 5)); // ends before the start: already "durable", skipped
    await stream.deliver(batchAt(45n, 2)); // a gap is allowed by the contract
    expect(await stream.checkpoint()).toBe(47n);
    await stream.shutdown();
    const resumed = await output.start({});
    expect(await resumed.checkpoint()).toBe(47n);
    await resumed.shutdown();
    expect(ranges((await readFileSink(join(dir.path, 'nested', 'sink'))).batches)).toEqual(['45-47']);
  });

  it('resumes at its own checkpoint when fromLsn is behind it, and refuses one ahead of it', async () => {
    await using dir = await tempDir();
    const output = fileCdcOutput({ name: 'feed', directory: dir.path });
    const batches = batchesOf([2, 2, 2]);
    const stream = await output.start({ fromLsn: 0n });
    for (const batch of batches) await stream.deliver(batch);
    await stream.checkpoint();
    await stream.shutdown();

    await expect(output.start({ fromLsn: 7n })).rejects.toMatchObject(
      typedError('INVALID_ARGUMENT', 'would lose batches [6, 7)'),
    );
    const behind = await output.start({ fromLsn: 2n });
    expect(await behind.checkpoint()).toBe(6n);
    for (const batch of batches.slice(1)) await behind.deliver(batch); // skipped: already in the sink
    await behind.deliver(batchAt(6n, 1));
    await behind.checkpoint();
    await behind.shutdown();
    expect(ranges((await readFileSink(dir.path)).batches)).toEqual(['0-2', '2-4', '4-6', '6-7']);
  });

  it('rejects malformed, overlapping and oversized batches with typed errors, and keeps working', async () => {
    await using dir = await tempDir();
    const stream = await fileCdcOutput({ name: 'feed', directory: dir.path, maxBatchBytes: 2000 }).start({
      fromLsn: 0n,
    });
    await stream.deliver(batchAt(0n, 4));
    await expect(stream.deliver(batchAt(2n, 4))).rejects.toMatchObject(typedError('INVALID_ARGUMENT', 'overlaps'));
    await expect(stream.deliver({ ...batchAt(4n, 1), lsnEnd: 4n })).rejects.toMatchObject(
      typedError('INVALID_ARGUMENT', 'lsnStart < lsnEnd'),
    );
    await expect(stream.deliver({ ...batchAt(4n, 1), mutations: 'rows' } as never)).rejects.toMatchObject(
      typedError('INVALID_ARGUMENT', 'RecordBatch'),
    );
    await expect(stream.deliver({ ...batchAt(4n, 1), lsnStart: 4 } as never)).rejects.toMatchObject(
      typedError('INVALID_ARGUMENT', 'bigint'),
    );
    await expect(stream.deliver(batchAt(4n, 200))).rejects.toMatchObject(typedError('INVALID_ARGUMENT', 'too large'));
    await stream.deliver(batchAt(4n, 1));
    expect(await stream.checkpoint()).toBe(5n);
    const aborted = AbortSignal.abort();
    await expect(stream.checkpoint({ signal: aborted })).rejects.toMatchObject(typedError('ABORTED'));
    await stream.shutdown();
    await stream.shutdown();
    await expect(stream.deliver(batchAt(5n, 1))).rejects.toMatchObject(typedError('RESOURCE_CLOSED'));
    expect(ranges((await readFileSink(dir.path)).batches)).toEqual(['0-4', '4-5']);
  });

  it('validates its options and start arguments', async () => {
    expect(() => fileCdcOutput({ name: '', directory: '/tmp/x' })).toThrow(typedError('INVALID_ARGUMENT'));
    expect(() => fileCdcOutput({ name: 'a', directory: '' })).toThrow(typedError('INVALID_ARGUMENT'));
    expect(() => fileCdcOutput({ name: 'a', directory: '/tmp/x', bufferBytes: 0 })).toThrow(
      typedError('INVALID_ARGUMENT', 'bufferBytes'),
    );
    expect(() => fileCdcOutput({ name: 'a', directory: '/tmp/x', recovery: 'guess' as never })).toThrow(
      typedError('INVALID_ARGUMENT', 'recovery'),
    );
    await using dir = await tempDir();
    const output = fileCdcOutput({ name: 'a', directory: dir.path });
    await expect(output.start({ fromLsn: -1n })).rejects.toMatchObject(typedError('INVALID_ARGUMENT'));
    await expect(output.start({ fromLsn: 3 as never })).rejects.toMatchObject(typedError('INVALID_ARGUMENT'));
    await expect(output.start({ signal: AbortSignal.abort() })).rejects.toMatchObject(typedError('ABORTED'));
  });

  it('fences an older stream when a newer one starts on the same directory', async () => {
    await using dir = await tempDir();
    const older = await fileCdcOutput({ name: 'feed', directory: dir.path }).start({ fromLsn: 0n });
    await older.deliver(batchAt(0n, 1));
    await older.checkpoint();
    await older.deliver(batchAt(1n, 1)); // buffered, never checkpointed
    const newer = await fileCdcOutput({ name: 'feed', directory: dir.path }).start({});
    await expect(older.deliver(batchAt(2n, 1))).rejects.toMatchObject(typedError('RESOURCE_CLOSED', 'fenced'));
    await expect(older.checkpoint()).rejects.toMatchObject(typedError('RESOURCE_CLOSED'));
    await older.shutdown(); // closes its file without writing its buffer
    await newer.deliver(batchAt(1n, 1));
    await newer.checkpoint();
    await newer.shutdown();
    expect(ranges((await readFileSink(dir.path)).batches)).toEqual(['0-1', '1-2']);
  });

  it('removes the temp files of checkpoint writes killed with their process on start, and nothing else', async () => {
    await using dir = await tempDir();
    const output = fileCdcOutput({ name: 'feed', directory: dir.path });
    const stream = await output.start({ fromLsn: 0n });
    await stream.deliver(batchAt(0n, 2));
    await stream.checkpoint();
    await stream.shutdown();
    const killed = `.checkpoint.bin.${4_194_304 + 7}.0123456789ab.tmp`; // a pid no process has
    const foreign = ['.checkpoint.bin.1.abc.tmp', 'notes.txt', `.changes.bcdc.${4_194_304 + 7}.0123456789ab.tmp`];
    for (const name of [killed, ...foreign]) await writeFile(join(dir.path, name), 'half a checkpoint');
    const again = await output.start({ fromLsn: 2n });
    await again.shutdown();
    const left = await readdir(dir.path);
    expect(left).not.toContain(killed);
    for (const name of foreign) expect(await readFile(join(dir.path, name), 'utf8')).toBe('half a checkpoint');
    expect(ranges((await readFileSink(dir.path)).batches)).toEqual(['0-2']);
  });
});
