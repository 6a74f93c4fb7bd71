/**
 * `@baton/kinds/codec`: the persisted-format kit the CRDT kinds are built on, for writing a
 * provider of your own or a tool that reads persisted state — the versioned, checksummed `BTNE`
 * envelope, msgpack encoding with the package's configuration, and the body schemas checked on the
 * bytes before anything is decoded. See "The persisted envelope" in the package README.
 *
 * @packageDocumentation
 */

export { DEFAULT_MAX_ENVELOPE_BYTES, decodeEnvelope, encodeEnvelope, peekEnvelope } from './codec/envelope.js';
export { pack, unpack } from './codec/packr.js';
export { ANY_ALLOWANCE_BYTES, ANY_BYTES_PER_INPUT_BYTE, ANY_MAX_DEPTH, bodySchema } from './codec/bodySchema.js';
export type { Envelope, EnvelopeExpectation } from './codec/envelope.js';
export type {
  AnySchema,
  BigIntSchema,
  BinSchema,
  BodySchema,
  BoolSchema,
  ListSchema,
  MapSchema,
  NumberSchema,
  OneOfSchema,
  StrSchema,
  TupleSchema,
} from './codec/bodySchemaTypes.js';
