import { AsyncByteQueue, makeData, RecordBatch, RecordBatchFileWriter, Schema, Struct } from 'apache-arrow';
import type { Data, Field } from 'apache-arrow';
import { fillFrame, frameLengthFor } from './indexFrame.js';
import type { BodyRange } from './indexFrame.js';

/** Collects what the Arrow writer emits, so the output is assembled with a single copy. */
class ChunkSink extends AsyncByteQueue {
  /** The chunks written so far (views over the written buffers, not copies). */
  get chunks(): readonly Uint8Array[] {
    return this._values;
  }
}

/** An Arrow IPC file writer that reports where the body of its first record batch lies. */
class IndexFileWriter extends RecordBatchFileWriter {
  /** Body range of the first record batch written (valid until `finish`). */
  firstBody(): BodyRange {
    const block = this._recordBatchBlocks[0];
    if (block === undefined) throw new Error('Arrow wrote no record batch');
    return { offset: block.offset + block.metaDataLength, length: block.bodyLength };
  }
}

/**
 * Writes one record batch as a persisted index: the frame of {@link fillFrame}, then an Arrow IPC
 * *file* (random-access format: `ARROW1` magic, the record batch, a footer holding the schema and its
 * metadata). The frame length is chosen so the body starts 64-byte aligned in the output. Every
 * buffer is copied exactly once, into the output; nothing else passes over the data.
 */
export function writeIndexFile(
  fields: readonly Field[],
  columns: readonly Data[],
  length: number,
  metadata: ReadonlyMap<string, string>,
): Uint8Array {
  const schema = new Schema([...fields], new Map(metadata));
  const struct = makeData({ type: new Struct(schema.fields), length, nullCount: 0, children: [...columns] });
  const sink = new ChunkSink();
  const writer = new IndexFileWriter();
  writer.reset(sink);
  writer.write(new RecordBatch(schema, struct));
  const body = writer.firstBody();
  writer.finish();
  const frameLength = frameLengthFor(body);
  let total = frameLength;
  for (const chunk of sink.chunks) total += chunk.byteLength;
  const out = new Uint8Array(total);
  let at = frameLength;
  for (const chunk of sink.chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  fillFrame(out, frameLength, body);
  return out;
}
