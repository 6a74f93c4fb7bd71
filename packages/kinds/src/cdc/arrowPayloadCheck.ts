import { Message, MessageHeader, MetadataVersion, tableFromIPC } from 'apache-arrow';
import type { DataType, RecordBatch, Schema } from 'apache-arrow';
import { checkBatchLayout } from './arrowLayoutCheck.js';
import type { BatchLayout } from './arrowLayoutCheck.js';
import { checkMessageMetadata } from './arrowMetadataCheck.js';

/**
 * A batch may have at most this many rows per byte of its Arrow payload: the densest column (a
 * boolean without nulls) takes one bit per row, so only a batch of `Null` columns (or none) can
 * have more, and its row count would be backed by nothing. Writers refuse such batches, readers
 * refuse payloads that claim them.
 */
export const MAX_ROWS_PER_PAYLOAD_BYTE = 8;

interface DictionaryHeader {
  readonly id: number;
  readonly isDelta: boolean;
  readonly data: BatchLayout & { readonly compression: unknown };
}

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Checks an Arrow IPC stream payload of a sink record (schema, dictionaries, exactly one record
 * batch, end of stream) before arrow-js decodes it, then decodes it. Returns the record batch, or
 * a problem string when the payload is not what `encodeRecord` writes or declares anything not
 * backed by its bytes: message framing, the flatbuffer metadata of every message
 * (`arrowMetadataCheck.ts`), and every column's nodes and buffers against the row count and type
 * (`arrowLayoutCheck.ts`). Work and memory are linear in the payload size.
 */
export function checkArrowPayload(payload: Uint8Array): RecordBatch | string {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  let schema: Schema | undefined;
  const dictionaryLengths = new Map<number, number>();
  let batches = 0;
  let rows = 0;
  let position = 0;
  let ended = false;
  while (position < payload.byteLength) {
    if (position + 4 > payload.byteLength) return `Arrow stream is torn at byte ${position}`;
    let length = view.getInt32(position, true);
    position += 4;
    if (length === -1) {
      if (position + 4 > payload.byteLength) return `Arrow stream is torn at byte ${position}`;
      length = view.getInt32(position, true);
      position += 4;
    }
    if (length === 0) {
      ended = true;
      break;
    }
    if (length < 0 || position + length > payload.byteLength)
      return `Arrow message at byte ${position - 4} declares ${length} metadata bytes, ${payload.byteLength - position} remain`;
    const metadata = payload.subarray(position, position + length);
    position += length;
    const problem = checkMessageMetadata(metadata);
    if (problem !== undefined) return problem;
    let message: Message;
    let header: unknown;
    try {
      message = Message.decode(metadata);
      header = message.header();
    } catch (error) {
      return `Arrow message cannot be decoded: ${describe(error)}`;
    }
    const bodyLength = message.bodyLength;
    if (!Number.isSafeInteger(bodyLength) || bodyLength < 0 || position + bodyLength > payload.byteLength)
      return `Arrow message declares a body of ${bodyLength} bytes, ${payload.byteLength - position} remain`;
    const body = payload.subarray(position, position + bodyLength);
    position += bodyLength;
    if (message.version !== MetadataVersion.V5) return `Arrow metadata version ${message.version} is not V5`;

    if (message.headerType === MessageHeader.Schema) {
      if (schema) return 'Arrow stream has a second schema';
      schema = header as Schema;
      continue;
    }
    if (!schema) return 'Arrow stream does not start with a schema';
    if (message.headerType === MessageHeader.DictionaryBatch) {
      const dictionary = header as DictionaryHeader;
      const type: DataType | undefined = schema.dictionaries.get(dictionary.id);
      if (type === undefined) return `Arrow dictionary ${dictionary.id} is not in the schema`;
      if (dictionary.isDelta || dictionaryLengths.has(dictionary.id))
        return `Arrow dictionary ${dictionary.id} is sent twice (or as a delta)`;
      if (dictionary.data.compression != null) return 'Arrow body is compressed (never written by this output)';
      if (dictionary.data.length > payload.byteLength * MAX_ROWS_PER_PAYLOAD_BYTE)
        return `Arrow dictionary ${dictionary.id} claims ${dictionary.data.length} values in a ${payload.byteLength}-byte payload`;
      const field = { name: `dictionary ${dictionary.id}`, type } as Schema['fields'][number];
      const layout = checkBatchLayout([field], dictionary.data, body, dictionaryLengths);
      if (layout !== undefined) return `Arrow dictionary ${dictionary.id}: ${layout}`;
      dictionaryLengths.set(dictionary.id, dictionary.data.length);
      continue;
    }
    if (message.headerType !== MessageHeader.RecordBatch)
      return `Arrow message of type ${message.headerType} (never written by this output)`;
    const batch = header as BatchLayout & { readonly compression: unknown };
    if (++batches > 1) return 'Arrow stream holds more than one record batch';
    if (batch.compression != null) return 'Arrow body is compressed (never written by this output)';
    if (batch.length > payload.byteLength * MAX_ROWS_PER_PAYLOAD_BYTE)
      return `Arrow batch claims ${batch.length} rows in a ${payload.byteLength}-byte payload`;
    const layout = checkBatchLayout(schema.fields, batch, body, dictionaryLengths);
    if (layout !== undefined) return `Arrow batch: ${layout}`;
    rows = batch.length;
  }
  if (!ended || position !== payload.byteLength) return 'Arrow stream does not end with one end-of-stream marker';
  if (batches !== 1) return `payload holds ${batches} record batches, expected 1`;
  let decoded: RecordBatch | undefined;
  try {
    const table = tableFromIPC(payload);
    decoded = table.batches.length === 1 ? table.batches[0] : undefined;
  } catch (error) {
    return `payload is not an Arrow IPC stream (${describe(error)})`;
  }
  if (!decoded || decoded.numRows !== rows) return 'payload decodes to another batch than it declares';
  return decoded;
}
