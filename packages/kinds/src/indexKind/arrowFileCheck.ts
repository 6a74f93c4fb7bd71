import { corruptIndex } from './indexErrors.js';
import { FlatBufferCheck } from './flatBufferCheck.js';
import type { FlatTable } from './flatBufferCheck.js';
import { MAX_INDEX_ROWS } from './indexLimits.js';

/** Arrow type ids (`Type` of Schema.fbs) an index file may hold, and how many children each has. */
const TYPE_CHILDREN: ReadonlyMap<number, number> = new Map([
  [2, 0], // Int
  [3, 0], // FloatingPoint
  [5, 0], // Utf8
  [8, 0], // Date
  [10, 0], // Timestamp
  [16, 1], // FixedSizeList
]);
const TIMESTAMP = 10;
/** `MessageHeader.RecordBatch`. */
const RECORD_BATCH = 3;
/** Metadata versions V4 and V5 (older ones lay buffers out differently). */
const VERSIONS = [3, 4];
const CONTINUATION = -1;

/** What an index file can contain at most: anything beyond is refused before Arrow reads it. */
const LIMITS = {
  /** Fields in the whole schema tree (an index has two columns, a vector column one child). */
  fields: 4,
  nameBytes: 1024,
  schemaMetadata: 32,
  fieldMetadata: 8,
  messageMetadata: 8,
  keyBytes: 1024,
  valueBytes: 64 * 1024,
  features: 8,
  buffers: 16,
} as const;

/**
 * Checks the Arrow IPC file of an index (`ipc`: leading and trailing magic already checked)
 * before apache-arrow reads any of it: the footer and the record batch message are verified as
 * FlatBuffers (every offset, vector and string within its bytes, a bounded number of tables), and
 * they may hold only what an index file holds — at most {@link LIMITS}, the types indexes use, no
 * dictionaries, no compression, exactly one record batch — with declared sizes that fit the bytes
 * present: the batch's block within the file, its rows and every node's length within its body,
 * every buffer within the body, each top-level column as long as the batch (Arrow would allocate
 * a null bitmap to pad a shorter one). Anything else is a `CORRUPT_INPUT` error naming the kind.
 */
export function checkArrowFile(ipc: Uint8Array, kind: string): void {
  const fail = (message: string): Error => corruptIndex(kind, `Arrow metadata: ${message}`);
  const view = new DataView(ipc.buffer, ipc.byteOffset, ipc.byteLength);
  const footerEnd = ipc.byteLength - 10; // footer length (4) and "ARROW1" (6)
  const footerLength = view.getInt32(footerEnd, true);
  const footerStart = footerEnd - footerLength;
  if (footerLength <= 0 || footerStart < 8) throw fail(`bad footer length ${footerLength}`);
  const footer = new FlatBufferCheck(ipc.subarray(footerStart, footerEnd), fail).root('footer');
  checkVersion(footer, 'footer');
  const schema = footer.table(1, 'schema') ?? failWith(fail, 'the footer has no schema');
  const topFields = checkFields(schema, fail);
  keyValues(schema, 2, LIMITS.schemaMetadata, 'schema metadata');
  schema.vector(3, 8, LIMITS.features, 'schema features');
  footer.vector(2, 24, 0, 'dictionary batches');
  keyValues(footer, 4, LIMITS.schemaMetadata, 'footer metadata');
  const blocks = footer.vector(3, 24, 1, 'record batches');
  if (blocks.length !== 1) throw fail(`${blocks.length} record batches where 1 was expected`);
  const buffer = footer.buffer;
  const offset = buffer.int64(blocks.start, 'the record batch offset');
  const metaLength = buffer.int32(blocks.start + 8);
  const bodyLength = buffer.int64(blocks.start + 16, 'the record batch body length');
  if (offset < 8 || metaLength < 8 || bodyLength < 0 || offset + metaLength + bodyLength > footerStart)
    throw fail(`record batch block ${offset}+${metaLength}+${bodyLength} does not fit before the footer`);
  const legacy = view.getInt32(offset, true) !== CONTINUATION;
  const prefix = legacy ? 4 : 8;
  const messageLength = view.getInt32(offset + prefix - 4, true);
  if (messageLength <= 0 || prefix + messageLength !== metaLength)
    throw fail(`the record batch message of ${messageLength} bytes does not fill its ${metaLength}-byte block`);
  const message = new FlatBufferCheck(ipc.subarray(offset + prefix, offset + metaLength), fail).root('message');
  checkVersion(message, 'message');
  if (message.uint8(1, 0) !== RECORD_BATCH) throw fail('the block does not hold a record batch message');
  if (message.int64(3, 0, 'the message body length') !== bodyLength)
    throw fail('the message and its block disagree on the body length');
  keyValues(message, 4, LIMITS.messageMetadata, 'message metadata');
  const batch = message.table(2, 'record batch') ?? failWith(fail, 'the message has no record batch');
  checkBatch(batch, topFields, bodyLength, fail);
}

/** The top-level fields, each with the number of nodes it takes (itself and its children, in order). */
function checkFields(schema: FlatTable, fail: (message: string) => Error): { nodes: number[]; total: number } {
  let seen = 0;
  const field = (table: FlatTable, depth: number, what: string): number => {
    if (++seen > LIMITS.fields) throw fail(`more than ${LIMITS.fields} fields`);
    table.string(0, LIMITS.nameBytes, `${what} name`);
    const type = table.uint8(2, 0);
    const children = TYPE_CHILDREN.get(type);
    if (children === undefined) throw fail(`${what} has Arrow type ${type}, which no index holds`);
    const typeTable = table.table(3, `${what} type`) ?? failWith(fail, `${what} has no type`);
    if (type === TIMESTAMP) typeTable.string(1, LIMITS.nameBytes, `${what} time zone`);
    if (table.field(4, 4) !== undefined) throw fail(`${what} is dictionary encoded`);
    keyValues(table, 6, LIMITS.fieldMetadata, `${what} metadata`);
    const kids = table.tables(5, LIMITS.fields, `${what} children`);
    if (kids.length !== children) throw fail(`${what} has ${kids.length} children where ${children} were expected`);
    if (depth > 1 && kids.length > 0) throw fail(`${what} is nested too deep`);
    return kids.reduce((sum, kid, i) => sum + field(kid, depth + 1, `${what} child ${i}`), 1);
  };
  const nodes = schema.tables(1, LIMITS.fields, 'fields').map((table, i) => field(table, 1, `field ${i}`));
  return { nodes, total: nodes.reduce((a, b) => a + b, 0) };
}

/** The record batch: rows, one node per field (top-level ones as long as the batch), buffers within the body. */
function checkBatch(
  batch: FlatTable,
  fields: { nodes: number[]; total: number },
  bodyLength: number,
  fail: (message: string) => Error,
): void {
  const rows = batch.int64(0, 0, 'the row count');
  if (rows < 0 || rows > MAX_INDEX_ROWS || rows > bodyLength)
    throw fail(`${rows} rows cannot be held by a ${bodyLength}-byte body`);
  const nodes = batch.vector(1, 16, fields.total, 'field nodes');
  if (nodes.length !== fields.total) throw fail(`${nodes.length} field nodes for ${fields.total} fields`);
  const buffer = batch.buffer;
  let top = 0;
  for (let n = 0, next = 0; n < nodes.length; n++) {
    const length = buffer.int64(nodes.start + 16 * n, `node ${n} length`);
    const nulls = buffer.int64(nodes.start + 16 * n + 8, `node ${n} null count`);
    if (length < 0 || length > bodyLength || nulls < 0 || nulls > length)
      throw fail(`node ${n} declares ${length} values (${nulls} null) in a ${bodyLength}-byte body`);
    if (n === next) {
      if (length !== rows) throw fail(`column ${top} has ${length} values in a batch of ${rows} rows`);
      next += fields.nodes[top++]!;
    }
  }
  const buffers = batch.vector(2, 16, LIMITS.buffers, 'buffers');
  for (let b = 0; b < buffers.length; b++) {
    const at = buffer.int64(buffers.start + 16 * b, `buffer ${b} offset`);
    const length = buffer.int64(buffers.start + 16 * b + 8, `buffer ${b} length`);
    if (at < 0 || length < 0 || at + length > bodyLength)
      throw fail(`buffer ${b} (${at}+${length}) lies outside the ${bodyLength}-byte body`);
  }
  if (batch.field(3, 4) !== undefined) throw fail('the record batch is compressed');
  batch.vector(4, 8, 0, 'variadic buffer counts');
}

function checkVersion(table: FlatTable, what: string): void {
  const version = table.uint16(0, 0);
  if (!VERSIONS.includes(version)) throw table.buffer.fail(`${what} metadata version ${version} is not V4 or V5`);
}

/** Field `i` of `table`: at most `max` key/value pairs of bounded strings. */
function keyValues(table: FlatTable, i: number, max: number, what: string): void {
  for (const [k, pair] of table.tables(i, max, what).entries()) {
    pair.string(0, LIMITS.keyBytes, `${what} key ${k}`);
    pair.string(1, LIMITS.valueBytes, `${what} value ${k}`);
  }
}

function failWith(fail: (message: string) => Error, message: string): never {
  throw fail(message);
}
