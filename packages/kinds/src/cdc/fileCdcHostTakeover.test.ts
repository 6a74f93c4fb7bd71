/**
 * A real `PluginHost` reload of a file CDC output: the host detaches the old stream and the new
 * version's provider adopts it inside the pause (no checkpoint, no file written), and a reload that
 * rolls back hands the adopted stream back to the old provider the same way.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createPluginHost } from '@baton/core';
import type { CdcOutputProvider } from '@baton/core';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, vi } from 'vitest';
import { batchAt, cdcPlugin, endOf, ranges, tempDir } from './__tests__/cdcFixtures.js';
import { callbackCdcOutput } from './callbackCdcOutput.js';
import { CdcPosition } from './cdcPosition.js';
import { fileCdcOutput } from './fileCdcOutput.js';
import { CHECKPOINT_FILE, SINK_FILE } from './fileCheckpoint.js';
import { readFileSink } from './readFileSink.js';
import { LOCK_FILE } from './sinkLock.js';

/** A v2 output whose start fails: its handoff fails and the whole reload rolls back. */
const broken: CdcOutputProvider = {
  name: 'side',
  start: () => Promise.reject(new Error('side output: cannot start (simulated)')),
};

describe('fileCdcOutput under a real PluginHost reload: taken over in memory', () => {
  test.prop(
    [
      fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 8 }),
      fc.nat(),
      fc.boolean(),
      fc.constantFrom(1, 1 << 20),
    ],
    { numRuns: 10 },
  )(
    'no checkpoint or write inside the reload; a rollback hands the stream back; every batch once',
    async (sizes, checkpointSeed, rollBack, bufferBytes) => {
      await using dir = await tempDir();
      const batches = sizes.reduce<ReturnType<typeof batchAt>[]>(
        (all, rows) => [...all, batchAt(endOf(all, all.length), rows)],
        [],
      );
      const side = callbackCdcOutput({ name: 'side', position: new CdcPosition(), onBatch: () => undefined });
      const files = (buffer: number) => fileCdcOutput({ name: 'files', directory: dir.path, bufferBytes: buffer });
      const host = createPluginHost();
      const [v1, v2] = [files(bufferBytes), files(64)];
      const adopts = [vi.spyOn(v1, 'adopt'), vi.spyOn(v2, 'adopt')];
      await host.load(cdcPlugin('1.0.0', [v1, side]));
      const stream = await host.startCdc({ name: 'feed', key: 'files', fromLsn: 0n });
      await host.startCdc({ name: 'side-feed', key: 'side', fromLsn: 0n });
      const half = Math.ceil(batches.length / 2);
      const checkpointAt = checkpointSeed % (half + 1);
      for (const [i, batch] of batches.slice(0, half).entries()) {
        expect(await stream.deliver(batch)).toBe(true);
        if (i + 1 === checkpointAt) await stream.checkpoint();
      }
      const files0 = await Promise.all(
        [CHECKPOINT_FILE, LOCK_FILE].map((name) => readFile(join(dir.path, name), 'utf8')),
      );
      const size0 = (await stat(join(dir.path, SINK_FILE))).size;

      const reload = host.reload(cdcPlugin('2.0.0', [v2, rollBack ? broken : side]));
      if (rollBack) {
        await expect(reload).rejects.toMatchObject({ code: 'HANDOFF_FAILED' });
        expect(stream.version).toBe('1.0.0');
        // v2 adopted the stream, then the failed reload handed it back: v1 adopted it in turn.
        expect(adopts.map((spy) => spy.mock.calls.length)).toEqual([1, 1]);
      } else {
        const result = await reload;
        expect(result.handoffs.find((h) => h.name === 'feed')!.detail).toMatchObject({
          byReference: true,
          checkpointLsn: endOf(batches, half),
        });
        expect(stream.version).toBe('2.0.0');
        expect(adopts.map((spy) => spy.mock.calls.length)).toEqual([0, 1]);
      }
      // Nothing was made durable or written by the reload, and the lock never changed hands.
      expect(
        await Promise.all([CHECKPOINT_FILE, LOCK_FILE].map((name) => readFile(join(dir.path, name), 'utf8'))),
      ).toEqual(files0);
      expect((await stat(join(dir.path, SINK_FILE))).size).toBe(size0);

      for (const batch of batches.slice(half)) expect(await stream.deliver(batch)).toBe(true);
      expect(await stream.checkpoint()).toBe(endOf(batches, batches.length));
      await host.close();
      const sink = await readFileSink(dir.path);
      expect(ranges(sink.batches)).toEqual(ranges(batches));
      expect(sink.uncommittedBytes).toBe(0);
    },
  );
});
