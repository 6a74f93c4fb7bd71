import { Field, Int32, makeData, RecordBatch, Schema, Struct } from 'apache-arrow';
import type { CdcBatch, CdcOutputProvider, CdcStartOptions, CdcStream } from '@baton/core';
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
}

/** A {@link CdcOutputProvider} whose streams are {@link FakeCdcStream}s. */
interface FakeCdcOutput extends CdcOutputProvider {
  start(options: CdcStartOptions): FakeCdcStream;
}

/** A CDC output provider of {@link FakeCdcStream}s. */
export function fakeCdcOutput(name: string, checkpointMs: number): FakeCdcOutput {
  return {
    name,
    start: (options: CdcStartOptions): FakeCdcStream => new FakeCdcStream(options.fromLsn ?? 0n, checkpointMs),
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
