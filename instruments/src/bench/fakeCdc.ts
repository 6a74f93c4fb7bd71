import { Field, Int32, makeData, RecordBatch, Schema, Struct } from 'apache-arrow';
import type { CdcBatch, CdcOutputProvider, CdcStartOptions, CdcStream, CdcTakeover } from '@baton/core';
import { sleep } from './stats.js';

/**
 * A CDC stream whose sink is free and whose `checkpoint()` takes `checkpointMs` (a timer standing in
 * for the fsync of a real sink): what makes a reload's pause grow with the number of streams.
 */
class FakeCdcStream implements CdcStream {
  /** End LSN of the last batch delivered (or the start LSN). */
  position: bigint;
  delivered = 0;
  stopped = false;

  constructor(
    start: bigint,
    readonly checkpointMs: number,
  ) {
    this.position = start;
  }

  deliver(batch: CdcBatch): void {
    if (this.stopped) throw new Error('deliver after shutdown');
    if (batch.lsnStart < this.position) return; // already written: skipped, as a real sink would
    this.position = batch.lsnEnd;
    this.delivered++;
  }

  async checkpoint(): Promise<bigint> {
    if (this.checkpointMs > 0) await sleep(this.checkpointMs);
    return this.position;
  }

  shutdown(): void {
    this.stopped = true;
  }

  /** Hands the position over in memory (no checkpoint): see {@link fakeCdcOutput}'s `takeover`. */
  takeOver(name: string): CdcTakeover {
    if (this.stopped) throw new Error('detach after shutdown');
    this.stopped = true;
    const position = this.position;
    const checkpointMs = this.checkpointMs;
    return {
      output: name,
      layout: 'fake-cdc/1',
      lsn: position,
      state: { position },
      close: async () => {
        if (checkpointMs > 0) await sleep(checkpointMs);
        return position;
      },
    };
  }
}

/** A {@link CdcOutputProvider} whose streams are {@link FakeCdcStream}s. */
interface FakeCdcOutput extends CdcOutputProvider {
  start(options: CdcStartOptions): FakeCdcStream;
}

/**
 * A CDC output provider of {@link FakeCdcStream}s. With `takeover`, its streams have `detach` and
 * the provider `adopt`: a reload moves a stream in memory (as a sink that hands its open file and
 * buffer over would) instead of checkpoint → shutdown → start.
 */
export function fakeCdcOutput(name: string, checkpointMs: number, takeover = false): FakeCdcOutput {
  const start = (options: CdcStartOptions): FakeCdcStream => {
    const stream = new FakeCdcStream(options.fromLsn ?? 0n, checkpointMs);
    if (takeover) (stream as CdcStream).detach = () => stream.takeOver(name);
    return stream;
  };
  return {
    name,
    start,
    ...(takeover
      ? {
          adopt: (t: CdcTakeover): FakeCdcStream | undefined =>
            t.layout === 'fake-cdc/1' && t.output === name ? start({ fromLsn: t.lsn }) : undefined,
        }
      : {}),
  };
}

const schema = new Schema([new Field('id', new Int32(), false)]);
const mutations = new RecordBatch(
  schema,
  makeData({
    type: new Struct(schema.fields),
    length: 1,
    nullCount: 0,
    children: [makeData({ type: new Int32(), length: 1, nullCount: 0, data: new Int32Array([1]) })],
  }),
);

/** A one-row batch covering `[lsn, lsn + 1)` (the same tiny RecordBatch every time). */
export function batchAt(lsn: bigint): CdcBatch {
  return { lsnStart: lsn, lsnEnd: lsn + 1n, mutations, commitTimestamp: 0 };
}
