/**
 * The persisted formats of the OR-Set. Both hold a {@link PackedOrSet} (replica table, causal
 * context, elements in order, one varint byte string of dots) and differ in how the elements are
 * laid out:
 *
 * - format 1: `[replicas, context, elements, dots]`, the elements one msgpack array;
 * - format 2 (written since): `[replicas, context, scalars, strings, stringLengths, byteStrings, dots]`:
 *   the booleans, numbers and bigints a msgpack array; the strings one UTF-8 byte string with their
 *   byte lengths as varints (no per-string msgpack value: encoding copies bytes, decoding checks the
 *   order on bytes); the byte strings a msgpack array; then the dots of all elements in that order.
 *
 * Both are canonical: equal states give equal bodies.
 */
import { bodySchema } from '../codec/bodySchema.js';
import type { BodySchema } from '../codec/bodySchemaTypes.js';
import type { BodyReader } from './bodyReader.js';
import { itemCount } from './byteColumn.js';
import { describeValue } from './crdtErrors.js';
import {
  columnSchema,
  MAX_STATE_ENTRIES,
  numbersSchema,
  replicaIdsSchema,
  sortedBytesSchema,
  sortedPrimitivesSchema,
  sortedScalarsSchema,
} from './crdtSchemas.js';
import { MIN_DOT_BYTES_PER_ELEMENT, readDots, readElements, readReplicaTable } from './orSetBodyChecks.js';
import { recordPacked, stringRange } from './orSetPacked.js';
import type { PackedOrSet } from './orSetPacked.js';
import type { CrdtPrimitive } from './primitive.js';
import { encodeStrings } from './stringColumn.js';
import { readStringColumn } from './stringColumnReader.js';

/** The format version the OR-Set writes. */
export const OR_SET_FORMAT = 2;

/** The format versions the OR-Set reads. */
export const OR_SET_READS: readonly number[] = [1, 2];

/** What a body of each format may hold, checked on the bytes before it is decoded. */
export const OR_SET_BODIES: Readonly<Record<number, BodySchema>> = Object.freeze({
  1: bodySchema.tuple(replicaIdsSchema, numbersSchema, sortedPrimitivesSchema, columnSchema),
  2: bodySchema.tuple(
    replicaIdsSchema,
    numbersSchema,
    sortedScalarsSchema,
    columnSchema,
    columnSchema,
    sortedBytesSchema,
    columnSchema,
  ),
});

/** The format-2 body of a packed OR-Set. */
export function encodeOrSetBody(packed: PackedOrSet): unknown[] {
  const { elements, firstString, strings } = packed;
  return [
    packed.replicas,
    packed.context,
    elements.slice(0, firstString),
    strings.bytes,
    strings.lengths,
    elements.slice(firstString + itemCount(strings)),
    packed.dots.bytes,
  ];
}

/**
 * A persisted body of `formatVersion` (1 or 2), checked strictly and in one pass: everything
 * {@link PackedOrSet} promises, every dot within the context, no byte left over. Anything else is
 * `CORRUPT_INPUT`. The body must be the caller's own (as `decodeEnvelope` returns it: its byte
 * strings are views of a private copy of the input): its arrays and byte strings become the
 * packed form without a copy.
 */
export function decodeOrSetBody(formatVersion: number, body: unknown, reader: BodyReader): PackedOrSet {
  return recordPacked(formatVersion === 1 ? decodeFormat1(body, reader) : decodeFormat2(body, reader));
}

function decodeFormat2(body: unknown, reader: BodyReader): PackedOrSet {
  const [replicasPart, contextPart, scalarsPart, stringsPart, lengthsPart, bytesPart, dotsPart] = reader.array(
    body,
    'the body [replicas, context, scalars, strings, stringLengths, byteStrings, dots]',
    7,
  );
  const { replicas, context } = readReplicaTable(replicasPart, contextPart, reader);
  const scalars = readElements(scalarsPart, 'scalars', reader, (value) =>
    typeof value === 'string' || value instanceof Uint8Array
      ? 'strings and bytes have columns of their own'
      : undefined,
  );
  const byteStrings = readElements(bytesPart, 'byteStrings', reader, (value) =>
    value instanceof Uint8Array ? undefined : `${describeValue(value)} is not bytes`,
  );
  const dots = reader.bytes(dotsPart, 'dots');
  const { strings, column } = readStringColumn(
    reader.bytes(stringsPart, 'strings'),
    reader.bytes(lengthsPart, 'stringLengths'),
    Math.max(0, Math.floor(dots.length / MIN_DOT_BYTES_PER_ELEMENT) - scalars.length - byteStrings.length),
    (message) => reader.fail(message),
  );
  checkIndexSizes(scalars.length + strings.length, byteStrings.length, reader);
  const elements: CrdtPrimitive[] =
    scalars.length === 0 && byteStrings.length === 0 ? strings : [...scalars, ...strings, ...byteStrings];
  return {
    replicas,
    context,
    elements,
    firstString: scalars.length,
    strings: column,
    dots: readDots(dots, elements.length, replicas, context, reader),
  };
}

function decodeFormat1(body: unknown, reader: BodyReader): PackedOrSet {
  const [replicasPart, contextPart, elementsPart, dotsPart] = reader.array(
    body,
    'the body [replicas, context, elements, dots]',
    4,
  );
  const { replicas, context } = readReplicaTable(replicasPart, contextPart, reader);
  const dots = reader.bytes(dotsPart, 'dots');
  const elements = readElements(elementsPart, 'elements', reader);
  const [first, end] = stringRange(elements);
  checkIndexSizes(end, elements.length - end, reader);
  return {
    replicas,
    context,
    elements,
    firstString: first,
    strings: encodeStrings(elements.slice(first, end) as string[]),
    dots: readDots(dots, elements.length, replicas, context, reader),
  };
}

/** A state indexes plain elements and byte strings in a `Map` each: at most 2^24 of either. */
function checkIndexSizes(plain: number, bytes: number, reader: BodyReader): void {
  if (plain > MAX_STATE_ENTRIES || bytes > MAX_STATE_ENTRIES)
    throw reader.fail(
      `${plain} plain elements and ${bytes} byte strings: a state holds at most ${MAX_STATE_ENTRIES} of either`,
    );
}
