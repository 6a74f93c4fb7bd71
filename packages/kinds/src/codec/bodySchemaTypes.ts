/** The shapes of body schemas (see `bodySchema.ts`, whose builders make them checked). */

/** A text string whose UTF-8 takes `minBytes..maxBytes` bytes. */
export interface StrSchema {
  readonly type: 'str';
  readonly minBytes: number;
  readonly maxBytes: number;
}

/** A number: a msgpack integer of at most 32 bits or a float (64-bit integers decode as bigints). */
export interface NumberSchema {
  readonly type: 'number';
}

/** `true` or `false`. */
export interface BoolSchema {
  readonly type: 'bool';
}

/** A byte string of at most `maxBytes` bytes. */
export interface BinSchema {
  readonly type: 'bin';
  readonly maxBytes: number;
}

/** A bigint: a msgpack 64-bit integer, or msgpackr's bigint extension (type 0x42) of 1..`maxBytes` bytes. */
export interface BigIntSchema {
  readonly type: 'bigint';
  readonly maxBytes: number;
}

/** One of several leaf schemas, chosen by the msgpack type of the value (at most one option per type). */
export interface OneOfSchema {
  readonly type: 'oneOf';
  readonly options: readonly (StrSchema | NumberSchema | BoolSchema | BinSchema | BigIntSchema)[];
  /** Names the union in errors (e.g. `a CRDT primitive`). */
  readonly description: string;
}

/** An array of exactly `items.length` values, item `i` of schema `items[i]` (or empty, when `orEmpty`). */
export interface TupleSchema {
  readonly type: 'tuple';
  readonly items: readonly BodySchema[];
  readonly orEmpty?: boolean;
}

/**
 * An array of at most `maxItems` values of schema `item`. With `increasingBins`, every byte
 * string of the list is greater (bytewise, then longer) than the byte string before it.
 */
export interface ListSchema {
  readonly type: 'list';
  readonly item: BodySchema;
  readonly maxItems: number;
  readonly increasingBins?: boolean;
}

/** A map of at most `maxEntries` entries `key → value`, with no key twice. */
export interface MapSchema {
  readonly type: 'map';
  readonly key: BodySchema;
  readonly value: BodySchema;
  readonly maxEntries: number;
}

/**
 * Any msgpack value (no extension but bigints), nested at most `ANY_MAX_DEPTH` levels, whose
 * decoded form is estimated to take at most `ANY_BYTES_PER_INPUT_BYTE` bytes of memory per
 * input byte (plus `ANY_ALLOWANCE_BYTES`). What a reader without a schema gets.
 */
export interface AnySchema {
  readonly type: 'any';
}

/** A schema of a msgpack document (see the module comment). */
export type BodySchema =
  | StrSchema
  | NumberSchema
  | BoolSchema
  | BinSchema
  | BigIntSchema
  | OneOfSchema
  | TupleSchema
  | ListSchema
  | MapSchema
  | AnySchema;
