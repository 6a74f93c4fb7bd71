import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createPluginHost } from '@baton/core';
import type { CdcBatch, CdcOutputProvider } from '@baton/core';
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { batchAt, cdcPlugin, ranges, tempDir } from './__tests__/cdcFixtures.js';
import { callbackCdcOutput } from './callbackCdcOutput.js';
import { CdcPosition } from './cdcPosition.js';
import { ChangeLog } from './changeLog.js';
import { fileCdcOutput } from './fileCdcOutput.js';
import { readFileSink } from './readFileSink.js';
import { LOCK_FILE } from './sinkLock.js';

describe('CDC outputs under a real PluginHost reload', () => {
  test.prop([fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 10 }), fc.nat(), fc.nat()], {
    numRuns: 10,
  })(
    'a file and a callback output each hold every change-log batch exactly once across reloads, re-fed from the log start',
    async (sizes, reloadSeed, refeedSeed) => {
      await using dir = await tempDir();
      const log = new ChangeLog({ name: 'engine' });
      for (const rows of sizes) log.append(batchAt(0n, rows).mutations, 1);
      const received: CdcBatch[] = [];
      const position = new CdcPosition();
      const outputs = (bufferBytes: number): CdcOutputProvider[] => [
        fileCdcOutput({ name: 'files', directory: dir.path, bufferBytes }),
        callbackCdcOutput({ name: 'callback', position, onBatch: (batch) => void received.push(batch) }),
      ];

      const host = createPluginHost();
      await host.load(cdcPlugin('1.0.0', outputs(1 << 20)));
      const files = await host.startCdc({ name: 'feed-files', key: 'files', fromLsn: 0n });
      const callback = await host.startCdc({ name: 'feed-callback', key: 'callback', fromLsn: 0n });
      const lockRecord = await readFile(join(dir.path, LOCK_FILE), 'utf8');
      const all = [...log.readFrom(0n)];
      const reloadAt = reloadSeed % (all.length + 1);
      for (const batch of all.slice(0, reloadAt)) {
        expect(await files.deliver(batch)).toBe(true);
        expect(await callback.deliver(batch)).toBe(true);
      }
      const result = await host.reload(cdcPlugin('2.0.0', outputs(64)));
      expect(result.handoffs.map((h) => h.name).sort()).toEqual(['feed-callback', 'feed-files']);
      expect(files.version).toBe('2.0.0');
      // The reload's shutdown → start handoff kept this process's lock: no other process could take the sink.
      expect(await readFile(join(dir.path, LOCK_FILE), 'utf8')).toBe(lockRecord);
      // The engine re-feeds from some earlier LSN (as after a restart of its pump): nothing is written twice.
      const refeed = BigInt(refeedSeed) % ((files.deliveredThrough ?? 0n) + 1n);
      expect(files.deliveredThrough).toBe(reloadAt === 0 ? 0n : all[reloadAt - 1]!.lsnEnd);
      for (const batch of log.readFrom(refeed)) {
        await files.deliver(batch);
        await callback.deliver(batch);
      }
      await files.close();
      await callback.close();
      await host.close();

      expect(files.finalLsn).toBe(log.headLsn);
      expect(ranges((await readFileSink(dir.path)).batches)).toEqual(ranges(all));
      expect(ranges(received)).toEqual(ranges(all));
      expect(position.lsn).toBe(log.headLsn);
    },
  );
});
