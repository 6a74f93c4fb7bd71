/**
 * A reload's in-memory handoff of a file CDC stream (`detach` → `adopt`, or `close` when nobody
 * adopts), between two copies of this package's modules (what two plugin versions in one process
 * are): exactly once across handoffs, crashes and abandoned takeovers; no I/O inside the handoff.
 */
import { open, readdir, stat } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { CdcBatch, CdcTakeover } from '@baton/core';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it, vi } from 'vitest';
import { batchAt, contents, endOf, ranges, tempDir, typedError } from './__tests__/cdcFixtures.js';
import { fileCdcOutput as outputOfCopyA } from './fileCdcOutput.js';
import type { FileCdcOutput, FileCdcOutputOptions } from './fileCdcOutput.js';
import type { FileCdcStream } from './fileCdcStream.js';
import { SINK_FILE } from './fileCheckpoint.js';
import { readFileSink } from './readFileSink.js';
import { LOCK_FILE } from './sinkLock.js';

// A second copy of the CDC modules (and of @baton/core from source): what the next plugin version loads.
vi.resetModules();
const { fileCdcOutput: outputOfCopyB } = await import('./fileCdcOutput.js');
const copies = [outputOfCopyA, outputOfCopyB] as const;

type Step =
  | { readonly op: 'deliver'; readonly rows: number }
  | { readonly op: 'redeliver' }
  | { readonly op: 'checkpoint' }
  | { readonly op: 'handoff' | 'handoffClose' | 'crash' | 'abandonTakeover'; readonly buffer: number };

const BUFFERS = [1, 300, 1 << 20];
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('deliver' as const), rows: fc.nat({ max: 3 }) }) },
  { weight: 1, arbitrary: fc.constant({ op: 'redeliver' as const }) },
  { weight: 2, arbitrary: fc.constant({ op: 'checkpoint' as const }) },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constantFrom('handoff' as const, 'handoffClose' as const, 'crash' as const, 'abandonTakeover' as const),
      buffer: fc.nat({ max: BUFFERS.length - 1 }),
    }),
  },
);

/** Resolves to whether `promise` settled within `turns` microtasks (no I/O, no timer can complete meanwhile). */
async function settlesWithinMicrotasks(promise: Promise<unknown>, turns = 100): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let i = 0; i < turns && !settled; i++) await Promise.resolve();
  return settled;
}

describe('fileCdcOutput: in-memory handoff (detach → adopt)', () => {
  test.prop([fc.array(step, { minLength: 1, maxLength: 24 }), fc.nat({ max: 2 })], { numRuns: 40 })(
    'every batch once and in order across handoffs between module copies, closes, crashes and abandoned takeovers',
    async (steps, firstBuffer) => {
      await using dir = await tempDir();
      let copy = 0;
      const provider = (buffer: number): FileCdcOutput => {
        copy = 1 - copy;
        return copies[copy]!({ name: 'feed', directory: dir.path, bufferBytes: BUFFERS[buffer]! });
      };
      const sent: CdcBatch[] = []; // the source's log
      let delivered = 0; // batches the current stream lineage holds
      let durable = 0; // batches through the last checkpoint
      let stream: FileCdcStream = await provider(firstBuffer).start({ fromLsn: 0n });

      const restartFromCrash = async (buffer: number, fenced: { deliver(b: CdcBatch): Promise<void> }) => {
        // A fresh start on the directory (what a restarted process does) fences whatever held the sink.
        stream = await provider(buffer).start({});
        expect(stream.position).toBe(endOf(sent, durable)); // only what was not checkpointed is lost
        await expect(fenced.deliver(batchAt(endOf(sent, delivered), 1))).rejects.toMatchObject(
          typedError('RESOURCE_CLOSED'),
        );
        delivered = durable; // the source re-delivers from the checkpoint
      };

      for (const s of steps) {
        if (s.op === 'deliver') {
          if (delivered === sent.length) sent.push(batchAt(endOf(sent, sent.length), s.rows));
          await stream.deliver(sent[delivered]!);
          delivered++;
        } else if (s.op === 'redeliver') {
          if (delivered > 0) await stream.deliver(sent[delivered - 1]!); // skipped: already written
          expect(stream.position).toBe(endOf(sent, delivered));
        } else if (s.op === 'checkpoint') {
          expect(await stream.checkpoint()).toBe(endOf(sent, delivered));
          durable = delivered;
        } else if (s.op === 'crash') {
          await restartFromCrash(s.buffer, stream);
        } else {
          const old = stream;
          const takeover = await old.detach();
          expect([takeover.output, takeover.layout, takeover.lsn]).toEqual([
            'feed',
            'file-cdc/1',
            endOf(sent, delivered),
          ]);
          await expect(old.deliver(batchAt(takeover.lsn, 1))).rejects.toMatchObject(typedError('RESOURCE_CLOSED'));
          const next = provider(s.buffer);
          if (s.op === 'handoff') {
            const adopted = await next.adopt(takeover);
            expect(adopted).toBeDefined();
            stream = adopted!;
            expect(Object.getPrototypeOf(stream)).not.toBe(Object.getPrototypeOf(old)); // the other copy's class
            expect([stream.position, stream.durable]).toEqual([takeover.lsn, old.durable]);
            await old.shutdown(); // does nothing: the adopted stream holds the file
          } else if (s.op === 'handoffClose') {
            expect(await takeover.close()).toBe(endOf(sent, delivered));
            durable = delivered;
            stream = await next.start({ fromLsn: takeover.lsn });
            expect(stream.position).toBe(takeover.lsn);
          } else {
            await restartFromCrash(s.buffer, old); // the takeover is never adopted nor closed
            await expect(next.adopt(takeover)).rejects.toMatchObject(typedError('RESOURCE_CLOSED', 'fenced'));
            await expect(takeover.close()).rejects.toMatchObject(typedError('RESOURCE_CLOSED', 'fenced'));
          }
        }
      }
      expect(await stream.checkpoint()).toBe(endOf(sent, delivered));
      await stream.shutdown();
      const sink = await readFileSink(dir.path);
      expect(ranges(sink.batches)).toEqual(ranges(sent.slice(0, delivered)));
      expect(contents(sink.batches)).toEqual(contents(sent.slice(0, delivered)));
      expect(sink.uncommittedBytes).toBe(0);
    },
  );

  test.prop(
    [
      fc.nat({ max: 3 }),
      fc.nat({ max: 4 }),
      fc.subarray(['adoptA', 'adoptB', 'close', 'start'] as const, { minLength: 1 }),
      fc.constantFrom(1, 1 << 20),
    ],
    { numRuns: 30 },
  )(
    'pipelined deliveries then detach; racing adopters, close and a start: one takes the takeover, no batch lost or doubled',
    async (committed, pipelined, racers, bufferBytes) => {
      await using dir = await tempDir();
      const options: FileCdcOutputOptions = { name: 'feed', directory: dir.path, bufferBytes };
      const batches = Array.from({ length: committed + pipelined }, (_, i) => batchAt(BigInt(i * 2), 2));
      const old = await outputOfCopyA(options).start({ fromLsn: 0n });
      for (const batch of batches.slice(0, committed)) await old.deliver(batch);
      await old.checkpoint();
      // Not awaited: detach queues behind the deliveries, and a delivery after it is refused.
      const deliveries = batches.slice(committed).map((batch) => old.deliver(batch));
      const detaching = old.detach();
      const late = old.deliver(batchAt(endOf(batches, batches.length), 1));
      await Promise.all(deliveries);
      const takeover = await detaching;
      await expect(late).rejects.toMatchObject(typedError('RESOURCE_CLOSED', 'detached'));
      expect(takeover.lsn).toBe(endOf(batches, batches.length));

      const attempts = racers.map((racer) =>
        racer === 'close'
          ? Promise.resolve(takeover.close())
          : racer === 'start'
            ? outputOfCopyB(options).start({})
            : (racer === 'adoptA' ? outputOfCopyA : outputOfCopyB)(options).adopt(takeover),
      );
      const results = await Promise.allSettled(attempts);
      const takers = racers.filter((racer, i) => racer !== 'start' && results[i]!.status === 'fulfilled');
      // Exactly one adopt or close takes it (a start racing them fences the holder only if it claims first).
      expect(takers.length).toBe(racers.includes('start') ? Math.min(takers.length, 1) : 1);
      for (const [i, result] of results.entries())
        if (result.status === 'rejected') {
          expect(racers[i]).not.toBe('start');
          expect(result.reason).toMatchObject(typedError('RESOURCE_CLOSED'));
        }
      const streams = results.flatMap((result, i) =>
        result.status === 'fulfilled' && racers[i] !== 'close' ? [result.value as FileCdcStream] : [],
      );
      // The newest stream owns the sink (a start fences an adopted stream); the others are fenced.
      const live: FileCdcStream[] = [];
      for (const stream of streams)
        if (
          await stream.checkpoint().then(
            () => true,
            () => false,
          )
        )
          live.push(stream);
      expect(live.length).toBeLessThanOrEqual(1);
      const final = live[0] ?? (await outputOfCopyA(options).start({}));
      for (const batch of batches) await final.deliver(batch); // the source re-delivers; written ones are skipped
      expect(await final.checkpoint()).toBe(endOf(batches, batches.length));
      await final.shutdown();
      for (const stream of streams) await stream.shutdown();
      const sink = await readFileSink(dir.path);
      expect(ranges(sink.batches)).toEqual(ranges(batches));
      expect(sink.uncommittedBytes).toBe(0);
    },
  );

  it('detach and adopt settle within microtasks and touch no file; the next checkpoint writes what the old stream buffered', async () => {
    await using dir = await tempDir();
    const options: FileCdcOutputOptions = { name: 'feed', directory: dir.path, bufferBytes: 1 << 20 };
    const old = await outputOfCopyA(options).start({ fromLsn: 0n });
    await old.deliver(batchAt(0n, 2));
    await old.checkpoint();
    await old.deliver(batchAt(2n, 3)); // buffered, not written
    await old.idle();
    const probe = await open(join(dir.path, 'probe'), 'w');
    const fileHandle = Object.getPrototypeOf(probe) as FileHandle;
    await probe.close();
    const methods = ['write', 'writev', 'writeFile', 'datasync', 'sync', 'truncate', 'read', 'stat'] as const;
    const spies = methods.map((method) => vi.spyOn(fileHandle, method));
    let takeover: CdcTakeover | undefined;
    let adopted: FileCdcStream | undefined;
    try {
      const handoff = (async () => {
        takeover = await old.detach();
        adopted = await outputOfCopyB(options).adopt(takeover);
      })();
      expect(await settlesWithinMicrotasks(handoff)).toBe(true);
      await handoff;
      expect(spies.map((spy) => spy.mock.calls.length)).toEqual(methods.map(() => 0));
      expect((takeover!.state as { handle: { fd: number } }).handle.fd).toBeGreaterThanOrEqual(0); // not closed
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    expect((await readFileSink(dir.path)).uncommittedBytes).toBe(0); // the buffer is still in memory
    expect(adopted!.position).toBe(5n);
    await adopted!.deliver(batchAt(5n, 1));
    expect(await adopted!.checkpoint()).toBe(6n);
    await adopted!.shutdown();
    expect(ranges((await readFileSink(dir.path)).batches)).toEqual(['0-2', '2-5', '5-6']);
  });

  it('200 streams handed over at once: in memory without touching a file, then the old way (figures printed)', async () => {
    await using dir = await tempDir();
    const outputs = Array.from({ length: 200 }, (_, i) => ({ name: `feed-${i}`, directory: join(dir.path, `s${i}`) }));
    let streams = await Promise.all(outputs.map((options) => outputOfCopyA(options).start({ fromLsn: 0n })));
    await Promise.all(streams.map((stream) => stream.deliver(batchAt(0n, 4)))); // buffered
    const sizes = async () => Promise.all(outputs.map(async (o) => (await stat(join(o.directory, SINK_FILE))).size));
    const before = await sizes();
    let started = performance.now();
    streams = await Promise.all(
      streams.map(async (stream, i) => (await outputOfCopyB(outputs[i]!).adopt(await stream.detach()))!),
    );
    const inMemory = performance.now() - started;
    expect(streams.map((stream) => stream.position)).toEqual(outputs.map(() => 4n));
    expect(await sizes()).toEqual(before);
    started = performance.now();
    streams = await Promise.all(
      streams.map(async (stream, i) => {
        const lsn = await stream.checkpoint();
        await stream.shutdown();
        return outputOfCopyA(outputs[i]!).start({ fromLsn: lsn });
      }),
    );
    const restart = performance.now() - started;
    expect(streams.map((stream) => stream.position)).toEqual(outputs.map(() => 4n));
    await Promise.all(streams.map((stream) => stream.shutdown()));
    console.log(
      `${outputs.length} file CDC streams with a buffered batch each: detach → adopt ${inMemory.toFixed(1)} ms, ` +
        `checkpoint → shutdown → start ${restart.toFixed(0)} ms (all at once)`,
    );
  });

  it('takeover.close() checkpoints everything delivered and releases the sink: a start resumes at its LSN', async () => {
    await using dir = await tempDir();
    const options: FileCdcOutputOptions = { name: 'feed', directory: dir.path, bufferBytes: 1 << 20 };
    const old = await outputOfCopyB(options).start({ fromLsn: 10n });
    await old.deliver(batchAt(10n, 2));
    const takeover = await old.detach();
    expect(await takeover.close()).toBe(12n);
    const sink = await readFileSink(dir.path);
    expect([ranges(sink.batches), sink.checkpointLsn, sink.uncommittedBytes]).toEqual([['10-12'], 12n, 0]);
    await expect(takeover.close()).rejects.toMatchObject(typedError('RESOURCE_CLOSED', 'closed'));
    await expect(outputOfCopyA(options).adopt(takeover)).rejects.toMatchObject(typedError('RESOURCE_CLOSED', 'closed'));
    // Released: the file is closed, and with no other stream on the sink the process lets the lock go.
    expect((takeover.state as { handle: FileHandle }).handle.fd).toBe(-1);
    await expect.poll(() => readdir(dir.path), { timeout: 50_000 }).not.toContain(LOCK_FILE);
    const next = await outputOfCopyA(options).start({ fromLsn: 12n });
    await next.deliver(batchAt(11n, 1)); // re-delivered: skipped
    await next.deliver(batchAt(12n, 1));
    expect(await next.checkpoint()).toBe(13n);
    await next.shutdown();
    expect(ranges((await readFileSink(dir.path)).batches)).toEqual(['10-12', '12-13']);
    expect((await readFileSink(dir.path)).uncommittedBytes).toBe(0);
  });
});
