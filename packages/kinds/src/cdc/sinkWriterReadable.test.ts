import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  Dictionary,
  Field,
  Int32,
  List,
  makeData,
  makeVector,
  RecordBatch,
  Schema,
  Struct,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import type { Data } from 'apache-arrow';
import { fc, test } from '@fast-check/vitest';
import { afterAll, describe, expect, it } from 'vitest';
import { materialize } from './__tests__/arrowSamples.js';
import { batchAt, ranges, tempDir, typedError } from './__tests__/cdcFixtures.js';
import { SINK_FILE } from './fileCheckpoint.js';
import { fileCdcOutput } from './fileCdcOutput.js';
import { readFileSink } from './readFileSink.js';

/** A batch of the given columns, as a struct of `length` rows (which the columns may not back). */
function batchOf(length: number, columns: Record<string, Data>): RecordBatch {
  const fields = Object.entries(columns).map(([name, data]) => new Field(name, data.type, true));
  const schema = new Schema(fields);
  return new RecordBatch(schema, makeData({ type: new Struct(fields), length, children: Object.values(columns) }));
}

const ints = (count: number, length = count): Data =>
  makeData({ type: new Int32(), length, data: Int32Array.from({ length: count }, (_, i) => i) });

/** RecordBatches whose declared lengths, offsets or indices their buffers do not back. */
const INCONSISTENT: readonly (readonly [string, () => RecordBatch])[] = [
  ['a struct of 12 rows over 10 Int32 values', () => batchOf(12, { id: ints(10) })],
  ['an Int32 column declaring 40 values over 10', () => batchOf(40, { id: ints(10, 40) })],
  [
    'Utf8 offsets past the character data',
    () =>
      batchOf(3, {
        s: makeData({
          type: new Utf8(),
          length: 3,
          valueOffsets: Int32Array.from([0, 2, 400, 900]),
          data: new Uint8Array(4),
        }),
      }),
  ],
  [
    'List offsets past the child values',
    () =>
      batchOf(2, {
        l: makeData({
          type: new List(new Field('item', new Int32(), true)),
          length: 2,
          valueOffsets: Int32Array.from([0, 3, 5000]),
          child: ints(3) as Data<Int32>,
        }),
      }),
  ],
  [
    'a validity bitmap shorter than the rows it covers',
    () =>
      batchOf(200, {
        id: makeData({
          type: new Int32(),
          length: 200,
          nullCount: 5,
          nullBitmap: new Uint8Array(1),
          data: new Int32Array(200),
        }),
      }),
  ],
];

async function sinkSize(dir: string): Promise<number> {
  return (await stat(join(dir, SINK_FILE))).size;
}

describe('the file CDC writer writes only what its reader reads', () => {
  it.each(INCONSISTENT)('%s: INVALID_ARGUMENT, nothing written, the stream goes on', async (_what, make) => {
    await using dir = await tempDir();
    const stream = await fileCdcOutput({ name: 'feed', directory: dir.path, bufferBytes: 1 }).start({ fromLsn: 0n });
    await stream.deliver(batchAt(0n, 5));
    const size = await sinkSize(dir.path);
    const bad = stream.deliver({ lsnStart: 5n, lsnEnd: 6n, mutations: make(), commitTimestamp: 1 });
    await expect(bad).rejects.toMatchObject(typedError('INVALID_ARGUMENT', 'batch [5, 6) cannot be written'));
    expect(await sinkSize(dir.path)).toBe(size);
    expect(stream.position).toBe(5n);
    await stream.deliver(batchAt(5n, 3));
    expect(await stream.checkpoint()).toBe(8n);
    await stream.shutdown();
    expect(ranges((await readFileSink(dir.path)).batches)).toEqual(['0-5', '5-8']);
  });

  /** Mostly nothing; sometimes a length or offset that is not what the buffers hold. */
  const distortion = fc.oneof(
    { arbitrary: fc.constant(undefined), weight: 3 },
    { arbitrary: fc.record({ length: fc.nat({ max: 40 }), offset: fc.nat({ max: 5000 }) }), weight: 1 },
  );
  type Distortion = { readonly length: number; readonly offset: number } | undefined;

  /** A column of `values`, maybe distorted so that what it declares is not what it holds. */
  function column(kind: string, values: readonly (number | null)[], distorted: Distortion): Data {
    const length = distorted?.length ?? values.length;
    if (kind === 'int') {
      const data = vectorFromArray(values, new Int32()).data[0]!;
      return distorted ? makeData({ type: new Int32(), length, data: data.values, nullBitmap: data.nullBitmap }) : data;
    }
    /** The offsets of `data`, over `length` rows, the last one moved `distorted.offset` further. */
    const offsetsOf = (data: Data<Utf8> | Data<List<Int32>>, distorted: { readonly offset: number }): Int32Array => {
      const given = data.valueOffsets as Int32Array;
      const offsets = Int32Array.from({ length: length + 1 }, (_, i) => given[Math.min(i, values.length)] ?? 0);
      offsets[length]! += distorted.offset;
      return offsets;
    };
    if (kind === 'utf8') {
      const data = vectorFromArray(
        values.map((v) => (v === null ? null : `s${v}`)),
        new Utf8(),
      ).data[0]!;
      if (!distorted) return data;
      return makeData({ type: new Utf8(), length, valueOffsets: offsetsOf(data, distorted), data: data.values });
    }
    if (kind === 'list') {
      const type = new List<Int32>(new Field('item', new Int32(), true));
      const data = vectorFromArray(
        values.map((v) => (v === null ? null : [v, v])),
        type,
      ).data[0]!;
      if (!distorted) return data;
      const child = data.children[0] as Data<Int32>;
      return makeData<List<Int32>>({ type, length, valueOffsets: offsetsOf(data, distorted), child });
    }
    const type = new Dictionary(new Utf8(), new Int32());
    const data = vectorFromArray(
      values.map((v) => (v === null ? null : `t${Math.abs(v) % 3}`)),
      type,
    ).data[0]!;
    if (!distorted) return data;
    const indices = Int32Array.from({ length }, (_, i) => (i === 0 ? distorted.offset : (data.values[i] ?? 0)));
    return makeData({ type, length, data: indices, dictionary: makeVector(data.dictionary!) });
  }

  /** A batch: columns of one length (then maybe distorted), the struct's row count maybe another. */
  const batchSpec = fc
    .record({
      values: fc.array(fc.option(fc.integer({ min: -1000, max: 1000 })), { maxLength: 12 }),
      columns: fc.array(fc.record({ kind: fc.constantFrom('int', 'utf8', 'list', 'dict'), distortion }), {
        minLength: 1,
        maxLength: 3,
      }),
      rows: distortion,
    })
    .map(
      ({ values, columns, rows }) =>
        () =>
          batchOf(
            rows?.length ?? values.length,
            Object.fromEntries(columns.map((c, i) => [`c${i}`, column(c.kind, values, c.distortion)])),
          ),
    );

  const seen = { refused: 0, accepted: 0, unreadableBeforeWriting: 0 };
  afterAll(() => {
    console.log(
      `generated batches: ${seen.refused} refused, ${seen.accepted} accepted and read back ` +
        `(${seen.unreadableBeforeWriting} of them not readable row by row as given)`,
    );
    expect(seen.refused).toBeGreaterThan(0);
    expect(seen.accepted).toBeGreaterThan(0);
  });

  test.prop([fc.array(batchSpec, { minLength: 1, maxLength: 5 })], { numRuns: 40 })(
    'generated batches, consistent or not: each is refused with nothing written, or read back row for row',
    async (specs) => {
      await using dir = await tempDir();
      const stream = await fileCdcOutput({ name: 'feed', directory: dir.path, bufferBytes: 1 }).start({ fromLsn: 0n });
      const accepted: { range: string; rows: unknown[] }[] = [];
      let lsn = 0n;
      for (const spec of specs) {
        let mutations: RecordBatch;
        try {
          mutations = spec();
        } catch {
          continue; // arrow-js itself refuses to build it
        }
        const size = await sinkSize(dir.path);
        const delivered = await stream.deliver({ lsnStart: lsn, lsnEnd: lsn + 1n, mutations, commitTimestamp: 1 }).then(
          () => undefined,
          (error: unknown) => error,
        );
        if (delivered !== undefined) {
          expect(delivered).toMatchObject({ code: 'INVALID_ARGUMENT' });
          expect(await sinkSize(dir.path)).toBe(size);
          seen.refused++;
          continue;
        }
        seen.accepted++;
        let rows: unknown[];
        try {
          rows = materialize(mutations);
        } catch {
          seen.unreadableBeforeWriting++;
          rows = []; // not comparable row for row here; the reader must still read it whole
        }
        accepted.push({ range: `${lsn}-${lsn + 1n}`, rows });
        lsn += 1n;
      }
      await stream.checkpoint();
      await stream.shutdown();
      const read = await readFileSink(dir.path);
      expect(ranges(read.batches)).toEqual(accepted.map((a) => a.range));
      read.batches.forEach((batch, i) => {
        const rows = materialize(batch.mutations);
        expect(rows).toHaveLength(batch.mutations.numRows);
        if (accepted[i]!.rows.length > 0) expect(rows).toEqual(accepted[i]!.rows);
      });
    },
  );
});
