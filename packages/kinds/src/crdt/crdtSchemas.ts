/**
 * The building blocks of the CRDT kinds' body schemas (each kind declares its own next to its
 * format: `gCounterFormats`, `pnCounterState`, `lwwRegisterState`, `orSetFormats`). The envelope
 * checks a body against its schema on the bytes, before msgpackr decodes it.
 */
import { bigintExtensionBytes, bodySchema } from '../codec/bodySchema.js';
import type { BinSchema, BodySchema } from '../codec/bodySchemaTypes.js';
import { crdtLimits } from './primitive.js';

/** Most entries a state can hold in one table (a JS `Map` holds at most 2^24 entries). */
export const MAX_STATE_ENTRIES = 1 << 24;

/** UTF-8 bytes of a string of `units` UTF-16 code units, at most (3 per code unit). */
const utf8Bytes = (units: number): number => 3 * units;

/** A replica id: a non-empty string of at most `crdtLimits.maxReplicaIdLength` code units. */
export const replicaIdSchema = bodySchema.str(1, utf8Bytes(crdtLimits.maxReplicaIdLength));

/** A count, a timestamp or a context entry: a msgpack number (the decoder checks the range). */
export const numberSchema = bodySchema.number();

/**
 * Most items a list of a state can hold: two tables' worth (a PN-Counter's replicas are those of
 * its two halves; an OR-Set's elements those of its plain and its byte-string index).
 */
const MAX_LIST_ITEMS = 2 * MAX_STATE_ENTRIES;

/** Replica ids. */
export const replicaIdsSchema = bodySchema.list(replicaIdSchema, MAX_LIST_ITEMS);

/** Numbers parallel to a list of replicas. */
export const numbersSchema = bodySchema.list(numberSchema, MAX_LIST_ITEMS);

/** A byte string of varints or UTF-8 (a column): as long as an envelope can be. */
export const columnSchema: BinSchema = bodySchema.bin(0xffff_ffff);

const stringSchema = bodySchema.str(0, utf8Bytes(crdtLimits.maxStringLength));
const bigintSchema = bodySchema.bigint(bigintExtensionBytes(crdtLimits.maxBigIntBits));
const bytesSchema = bodySchema.bin(crdtLimits.maxBytesLength);

/** A {@link CrdtPrimitive} as msgpack: a string, number, bigint, boolean or byte string within the limits. */
export const primitiveSchema: BodySchema = bodySchema.oneOf(
  'a CRDT primitive (string, number, bigint, boolean or bytes)',
  stringSchema,
  numberSchema,
  bigintSchema,
  bodySchema.bool(),
  bytesSchema,
);

/** Booleans, numbers and bigints (an OR-Set's scalar column). */
const scalarSchema: BodySchema = bodySchema.oneOf(
  'a boolean, number or bigint',
  numberSchema,
  bigintSchema,
  bodySchema.bool(),
);

/** Sorted distinct primitives (an OR-Set's elements): byte strings must increase. */
export const sortedPrimitivesSchema = bodySchema.list(primitiveSchema, MAX_LIST_ITEMS, { increasingBins: true });

/** Sorted distinct byte strings. */
export const sortedBytesSchema = bodySchema.list(bytesSchema, MAX_STATE_ENTRIES, { increasingBins: true });

/** Sorted distinct scalars. */
export const sortedScalarsSchema = bodySchema.list(scalarSchema, MAX_STATE_ENTRIES);
