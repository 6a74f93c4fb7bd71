import { DataType, Field, FixedSizeList, Float32, makeData, Precision, Uint32 } from 'apache-arrow';
import type { Data } from 'apache-arrow';
import { corruptIndex } from './indexErrors.js';
import {
  META_CRC32,
  META_FORMAT_VERSION,
  META_KIND,
  META_ROWS,
  metaInt,
  metaString,
  readIndexFile,
} from './indexFile.js';
import { FLAT_VECTOR_KIND, MAX_INDEX_ROWS, MAX_VECTOR_DIM, VECTOR_QUERY_COLUMN } from './indexLimits.js';
import { writeIndexFile } from './indexWriter.js';
import { isVectorMetric } from './vectorMetric.js';
import type { FlatVectorData } from './flatVectorData.js';

/** Format 1 of the flat vector index: a BTIX frame (layout 1) and an Arrow IPC file. */
const FLAT_VECTOR_FORMAT_1 = 1;
/** Schema-metadata key holding the metric. */
export const META_METRIC = 'baton.index.metric';
/** Schema-metadata key holding the dimension. */
export const META_DIM = 'baton.index.dim';
/** Schema-metadata key saying whether row ids are the positions (`dense`) or a `row` column (`sparse`). */
export const META_ROW_IDS = 'baton.index.rowIds';

/**
 * Writes format 1: an Arrow IPC file with a `vector` column (`FixedSizeList<Float32>[dim]`,
 * non-null), a `row` column (Uint32) only when row ids are sparse, and schema metadata (kind, format
 * version, metric, dim, row count, row-id layout, CRC-32 of the data). Still written on request
 * (`flatVectorIndex({ format: 1 })`), for a fleet where older versions that read only format 1 may take over.
 */
export function writeFlatVectorFormat1(index: FlatVectorData): Uint8Array {
  const { dim, count, vectors, rowIds } = index;
  const item = new Field('item', new Float32(), false);
  const listType = new FixedSizeList(dim, item);
  const fields: Field[] = [new Field(VECTOR_QUERY_COLUMN, listType, false)];
  const child = makeData({ type: new Float32(), length: count * dim, nullCount: 0, data: vectors });
  const columns: Data[] = [makeData({ type: listType, length: count, nullCount: 0, child })];
  if (rowIds !== undefined) {
    fields.push(new Field('row', new Uint32(), false));
    columns.push(makeData({ type: new Uint32(), length: count, nullCount: 0, data: rowIds }));
  }
  const metadata = new Map([
    [META_KIND, FLAT_VECTOR_KIND],
    [META_FORMAT_VERSION, String(FLAT_VECTOR_FORMAT_1)],
    [META_METRIC, index.metric],
    [META_DIM, String(dim)],
    [META_ROWS, String(count)],
    [META_ROW_IDS, rowIds === undefined ? 'dense' : 'sparse'],
    [META_CRC32, String(index.crc32)],
  ]);
  return writeIndexFile(fields, columns, count, metadata);
}

/**
 * Reads format 1 (see {@link writeFlatVectorFormat1}): validates the frame, the kind, the metadata,
 * the schema and the sizes; the vectors are a view over `bytes` when it is 4-byte aligned. The data
 * checksum is returned as stored, for the caller to verify. Every problem is `CORRUPT_INPUT`.
 */
export function readFlatVectorFormat1(bytes: Uint8Array, maxBytes: number): FlatVectorData {
  const { schema, batch } = readIndexFile(bytes, {
    kind: FLAT_VECTOR_KIND,
    versions: [FLAT_VECTOR_FORMAT_1],
    maxBytes,
    align: 4,
  });
  const fail = (reason: string): Error => corruptIndex(FLAT_VECTOR_KIND, reason);
  const metric = metaString(schema, META_METRIC, FLAT_VECTOR_KIND);
  if (!isVectorMetric(metric)) throw fail(`unknown metric ${JSON.stringify(metric.slice(0, 40))}`);
  const dim = metaInt(schema, META_DIM, MAX_VECTOR_DIM, FLAT_VECTOR_KIND);
  const count = metaInt(schema, META_ROWS, MAX_INDEX_ROWS, FLAT_VECTOR_KIND);
  const layout = metaString(schema, META_ROW_IDS, FLAT_VECTOR_KIND);
  if (dim < 1) throw fail('metadata dim is 0');
  if (layout !== 'dense' && layout !== 'sparse')
    throw fail(`unknown row-id layout ${JSON.stringify(layout.slice(0, 40))}`);
  const sparse = layout === 'sparse';
  const dataBytes = count * dim * 4 + (sparse ? count * 4 : 0);
  if (dataBytes > maxBytes) throw fail(`the index holds ${dataBytes} bytes, over the limit of ${maxBytes}`);
  const names = schema.fields.map((f) => f.name).join(',');
  if (names !== (sparse ? `${VECTOR_QUERY_COLUMN},row` : VECTOR_QUERY_COLUMN))
    throw fail(`unexpected columns [${names}] for a ${layout} index`);
  if (batch.numRows !== count) throw fail(`metadata says ${count} rows, the batch has ${batch.numRows}`);
  const vectors = readVectors(batch.data.children[0], dim, count, fail);
  const rowIds = sparse ? readRowIds(batch.data.children[1], count, fail) : undefined;
  const crc32 = metaInt(schema, META_CRC32, 0xffffffff, FLAT_VECTOR_KIND);
  return { metric, dim, count, vectors, rowIds, crc32 };
}

/** The vector data of an opened file: a view over the input, after checking type, nulls and size. */
function readVectors(
  data: Data | undefined,
  dim: number,
  count: number,
  fail: (reason: string) => Error,
): Float32Array {
  const type = data?.type;
  if (data === undefined || type === undefined || !DataType.isFixedSizeList(type) || type.listSize !== dim) {
    throw fail(`the vector column is not FixedSizeList[${dim}]`);
  }
  const child = data.children[0];
  const childType = child?.type;
  if (
    child === undefined ||
    childType === undefined ||
    !DataType.isFloat(childType) ||
    childType.precision !== Precision.SINGLE
  ) {
    throw fail('the vector column does not hold Float32');
  }
  if (data.length !== count || data.nullCount !== 0 || child.nullCount !== 0)
    throw fail('the vector column has nulls or a wrong length');
  const values: unknown = child.values;
  if (!(values instanceof Float32Array) || values.length < count * dim)
    throw fail(`the vector data is shorter than ${count} × ${dim} floats`);
  return values.length === count * dim ? values : values.subarray(0, count * dim);
}

function readRowIds(data: Data | undefined, count: number, fail: (reason: string) => Error): Uint32Array {
  const type = data?.type;
  if (data === undefined || type === undefined || !DataType.isInt(type) || type.bitWidth !== 32 || type.isSigned)
    throw fail('the row column is not Uint32');
  const values: unknown = data.values;
  if (data.length !== count || data.nullCount !== 0 || !(values instanceof Uint32Array) || values.length < count)
    throw fail('the row column has nulls or a wrong length');
  return values.length === count ? values : values.subarray(0, count);
}
