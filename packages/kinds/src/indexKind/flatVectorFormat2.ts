import { corruptIndex } from './indexErrors.js';
import { FLAT_VECTOR_KIND, MAX_INDEX_ROWS, MAX_VECTOR_DIM } from './indexLimits.js';
import { RAW_FIELDS_AT, readRawHeader, writeRawIndex } from './rawIndexFile.js';
import type { FlatVectorData } from './flatVectorData.js';
import type { VectorMetric } from './vectorMetric.js';

/** Format 2 of the flat vector index (the default): a raw header and the vectors as they lie in memory. */
const FLAT_VECTOR_FORMAT_2 = 2;

/** Metric codes of format 2 (part of the format: never renumber). */
const METRIC_CODES: Readonly<Record<VectorMetric, number>> = { l2: 1, l2sq: 2, cosine: 3, dot: 4 };
const METRICS_BY_CODE = new Map(Object.entries(METRIC_CODES).map(([m, code]) => [code, m as VectorMetric]));
const DIM_AT = RAW_FIELDS_AT;
const COUNT_AT = RAW_FIELDS_AT + 4;
const CRC_AT = RAW_FIELDS_AT + 8;
const METRIC_AT = RAW_FIELDS_AT + 12;
const ROW_IDS_AT = RAW_FIELDS_AT + 13;
const ZERO_AT = RAW_FIELDS_AT + 14;
const DENSE = 0;
const SPARSE = 1;

/**
 * Writes format 2: the raw header of `writeRawIndex` with the fields dim u32 · count u32 · CRC-32
 * of the data u32 · metric code u8 · row ids u8 (0 dense, 1 sparse) · zero u16, then the vectors
 * (`count × dim` little-endian float32, row-major) and, when sparse, the row ids (`count` u32).
 * One copy of the vectors and no per-vector work: persisting costs what copying the bytes costs.
 */
export function writeFlatVectorFormat2(index: FlatVectorData): Uint8Array {
  const { dim, count, vectors, rowIds } = index;
  const dataLength = vectors.byteLength + (rowIds?.byteLength ?? 0);
  const { bytes, headerLength } = writeRawIndex(FLAT_VECTOR_KIND, FLAT_VECTOR_FORMAT_2, dataLength, (view) => {
    view.setUint32(DIM_AT, dim, true);
    view.setUint32(COUNT_AT, count, true);
    view.setUint32(CRC_AT, index.crc32, true);
    view.setUint8(METRIC_AT, METRIC_CODES[index.metric]);
    view.setUint8(ROW_IDS_AT, rowIds === undefined ? DENSE : SPARSE);
  });
  bytes.set(new Uint8Array(vectors.buffer, vectors.byteOffset, vectors.byteLength), headerLength);
  if (rowIds !== undefined)
    bytes.set(new Uint8Array(rowIds.buffer, rowIds.byteOffset, rowIds.byteLength), headerLength + vectors.byteLength);
  return bytes;
}

/**
 * Reads format 2 (see {@link writeFlatVectorFormat2}): checks the header (checksum, kind, version,
 * fields, sizes against `maxBytes` and the byte count) and returns views over `bytes` when it is
 * 4-byte aligned (copying once otherwise). The data checksum is returned as stored, for the caller
 * to verify. Every problem is `CORRUPT_INPUT`.
 */
export function readFlatVectorFormat2(bytes: Uint8Array, maxBytes: number): FlatVectorData {
  const fail = (reason: string): Error => corruptIndex(FLAT_VECTOR_KIND, reason);
  const { view, headerLength, dataLength } = readRawHeader(bytes, FLAT_VECTOR_KIND, [FLAT_VECTOR_FORMAT_2]);
  const dim = view.getUint32(DIM_AT, true);
  const count = view.getUint32(COUNT_AT, true);
  const metric = METRICS_BY_CODE.get(view.getUint8(METRIC_AT));
  const layout = view.getUint8(ROW_IDS_AT);
  if (dim < 1 || dim > MAX_VECTOR_DIM) throw fail(`dim ${dim} is outside 1..${MAX_VECTOR_DIM}`);
  if (count > MAX_INDEX_ROWS) throw fail(`${count} rows exceed the limit of ${MAX_INDEX_ROWS}`);
  if (metric === undefined) throw fail(`unknown metric code ${view.getUint8(METRIC_AT)}`);
  if (layout !== DENSE && layout !== SPARSE) throw fail(`unknown row-id layout code ${layout}`);
  if (view.getUint16(ZERO_AT, true) !== 0) throw fail('reserved header bytes are not zero');
  const vectorBytes = count * dim * 4;
  const expected = vectorBytes + (layout === SPARSE ? count * 4 : 0);
  if (expected !== dataLength)
    throw fail(`${count} rows of dimension ${dim} need ${expected} bytes of data, the header says ${dataLength}`);
  if (dataLength > maxBytes) throw fail(`the index holds ${dataLength} bytes, over the limit of ${maxBytes}`);
  // Typed-array views need 4-byte aligned offsets: unaligned input is copied once (after the checks).
  const data = (bytes.byteOffset + headerLength) % 4 === 0 ? bytes : bytes.slice();
  const at = data.byteOffset + headerLength;
  const vectors = new Float32Array(data.buffer, at, count * dim);
  const rowIds = layout === SPARSE ? new Uint32Array(data.buffer, at + vectorBytes, count) : undefined;
  return { metric, dim, count, vectors, rowIds, crc32: view.getUint32(CRC_AT, true) };
}
