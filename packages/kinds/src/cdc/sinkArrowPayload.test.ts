import { performance } from 'node:perf_hooks';
import {
  Dictionary,
  Field,
  Int32,
  Int8,
  List,
  Null,
  Table,
  tableFromArrays,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import type { RecordBatch } from 'apache-arrow';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { allTypesBatch, materialize } from './__tests__/arrowSamples.js';
import { tempDir, typedError } from './__tests__/cdcFixtures.js';
import { craftSink, resealRecord } from './__tests__/sinkCraft.js';
import { MAX_ROWS_PER_PAYLOAD_BYTE } from './arrowPayloadCheck.js';
import { fileCdcOutput } from './fileCdcOutput.js';
import { readFileSink } from './readFileSink.js';
import { decodeHeader, decodeRecord, encodeRecord, RECORD_HEADER_BYTES } from './sinkRecord.js';
import type { SinkRecord } from './sinkRecord.js';

const MAX = 1 << 20;

/**
 * Reads every row of a decoded batch. arrow-js refuses to show a 64-bit value beyond 2^53 (a
 * `TypeError`): that is a value the bytes hold, not a length they do not back, so it is tolerated.
 */
function readsInFull(batch: RecordBatch): boolean {
  try {
    return materialize(batch).length === batch.numRows;
  } catch (error) {
    if (error instanceof TypeError && /is not safe to convert to a number/.test(error.message)) return true;
    throw error;
  }
}

function asRecord(bytes: Uint8Array): SinkRecord {
  const header = decodeHeader(bytes, MAX);
  if (typeof header === 'string') throw new Error(header);
  return { offset: 0, end: bytes.byteLength, header, payload: bytes.subarray(RECORD_HEADER_BYTES) };
}

const record = (mutations = allTypesBatch(), lsnStart = 0n): Uint8Array =>
  encodeRecord({ lsnStart, lsnEnd: lsnStart + 3n, mutations, commitTimestamp: 1 }, MAX) as Uint8Array;

/** Overwrites every 8-byte little-endian occurrence of `from` in `bytes[start, end)` with `to`; returns how many. */
function patchAll(bytes: Uint8Array, start: number, end: number, from: bigint, to: bigint): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let count = 0;
  for (let at = start; at + 8 <= end; at++) {
    if (view.getBigInt64(at, true) !== from) continue;
    view.setBigInt64(at, to, true);
    count++;
  }
  return count;
}

describe('sink records: Arrow payloads are checked before they are exposed', () => {
  it('refuses a committed record whose row count says 2^31 - 1 rows (checksums recomputed)', async () => {
    await using dir = await tempDir();
    const rows = 77; // a count that no buffer length or offset of this batch equals
    const batch = tableFromArrays({ id: Int32Array.from({ length: rows }, (_, i) => i) }).batches[0]!;
    const bytes = encodeRecord({ lsnStart: 0n, lsnEnd: 77n, mutations: batch, commitTimestamp: 1 }, MAX) as Uint8Array;
    // The record batch message is after the schema message: patch its length and its field node.
    const patched = patchAll(bytes, RECORD_HEADER_BYTES + 100, bytes.byteLength, BigInt(rows), 2n ** 31n - 1n);
    expect(patched).toBeGreaterThanOrEqual(2);
    await craftSink(dir.path, [resealRecord(bytes)]);
    const read = readFileSink(dir.path);
    await expect(read).rejects.toMatchObject(typedError('CORRUPT_INPUT', 'record at byte 0'));
    await expect(read).rejects.toMatchObject(typedError('CORRUPT_INPUT', '2147483647'));
  });

  it('decodes a batch of every column type arrow-js writes, row for row', async () => {
    await using dir = await tempDir();
    const batch = allTypesBatch();
    const stream = await fileCdcOutput({ name: 'feed', directory: dir.path }).start({ fromLsn: 0n });
    await stream.deliver({ lsnStart: 0n, lsnEnd: 3n, mutations: batch, commitTimestamp: 5 });
    await stream.checkpoint();
    await stream.shutdown();
    const [read] = (await readFileSink(dir.path)).batches;
    expect(read!.mutations.schema.fields.map((f) => String(f.type))).toEqual(
      batch.schema.fields.map((f) => String(f.type)),
    );
    expect(materialize(read!.mutations)).toEqual(materialize(batch));
  });

  test.prop(
    [
      fc.array(
        fc.record({
          n: fc.option(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })),
          s: fc.option(fc.string({ maxLength: 20 })),
          tag: fc.option(fc.constantFrom('red', 'green', 'blue')),
          list: fc.option(fc.array(fc.option(fc.integer({ min: -100, max: 100 })), { maxLength: 4 })),
        }),
        { maxLength: 30 },
      ),
    ],
    { numRuns: 60 },
  )('any batch of ints, strings, dictionary strings and lists round-trips through the checks', (rows) => {
    const batch = new Table({
      n: vectorFromArray(
        rows.map((r) => r.n),
        new Int32(),
      ),
      s: vectorFromArray(
        rows.map((r) => r.s),
        new Utf8(),
      ),
      tag: vectorFromArray(
        rows.map((r) => r.tag),
        new Dictionary(new Utf8(), new Int8()),
      ),
      list: vectorFromArray(
        rows.map((r) => r.list),
        new List(new Field('item', new Int32(), true)),
      ),
    }).batches[0];
    if (!batch) return;
    const decoded = decodeRecord(asRecord(record(batch)));
    expect(typeof decoded).toBe('object');
    expect(materialize((decoded as { mutations: typeof batch }).mutations)).toEqual(materialize(batch));
  });

  it('every word of a payload set to an absurd value: a problem string, or a batch whose every row can be read', () => {
    const good = record();
    const payloadBytes = good.byteLength - RECORD_HEADER_BYTES;
    const values32 = [0x7fff_ffff, 0xffff_ffff];
    const values64 = [2n ** 31n - 1n];
    let refused = 0;
    let decoded = 0;
    let slowest = 0;
    const began = performance.now();
    const attempt = (bytes: Uint8Array): void => {
      const started = performance.now();
      const result = decodeRecord(asRecord(bytes));
      if (typeof result === 'string') refused++;
      else {
        decoded++;
        expect(result.mutations.numRows).toBeLessThanOrEqual(payloadBytes * MAX_ROWS_PER_PAYLOAD_BYTE);
        expect(readsInFull(result.mutations)).toBe(true);
      }
      slowest = Math.max(slowest, performance.now() - started);
    };
    for (let at = RECORD_HEADER_BYTES; at + 4 <= good.byteLength; at += 4) {
      for (const value of values32) {
        const bytes = good.slice();
        new DataView(bytes.buffer).setUint32(at, value, true);
        attempt(bytes);
      }
      if ((at - RECORD_HEADER_BYTES) % 8 !== 0 || at + 8 > good.byteLength) continue;
      for (const value of values64) {
        const bytes = good.slice();
        new DataView(bytes.buffer).setBigInt64(at, value, true);
        attempt(bytes);
      }
    }
    console.log(
      `payload word sweep: ${refused + decoded} mutated payloads of ${payloadBytes} bytes (${allTypesBatch().numCols} column types): ` +
        `${refused} refused, ${decoded} decoded and read in full; slowest ${slowest.toFixed(1)} ms, all ${(performance.now() - began).toFixed(0)} ms`,
    );
    expect(refused).toBeGreaterThan(0);
  });

  test.prop([fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 8 })], { numRuns: 300 })(
    'random bytes written anywhere into a payload: a problem string, or a batch whose every row can be read',
    (at, noise) => {
      const bytes = record();
      bytes.set(
        noise.subarray(
          0,
          Math.max(0, bytes.byteLength - RECORD_HEADER_BYTES - (at % (bytes.byteLength - RECORD_HEADER_BYTES))),
        ),
        RECORD_HEADER_BYTES + (at % (bytes.byteLength - RECORD_HEADER_BYTES)),
      );
      const result = decodeRecord(asRecord(bytes));
      if (typeof result !== 'string') expect(readsInFull(result.mutations)).toBe(true);
    },
  );

  it('refuses to write a batch whose rows its payload cannot back (only Null columns)', async () => {
    await using dir = await tempDir();
    const nulls = new Table({ n: vectorFromArray(new Array<null>(100_000).fill(null), new Null()) }).batches[0]!;
    const stream = await fileCdcOutput({ name: 'feed', directory: dir.path }).start({ fromLsn: 0n });
    await expect(
      stream.deliver({ lsnStart: 0n, lsnEnd: 1n, mutations: nulls, commitTimestamp: 1 }),
    ).rejects.toMatchObject(typedError('INVALID_ARGUMENT', 'not backed by data'));
    await stream.shutdown();
  });
});
