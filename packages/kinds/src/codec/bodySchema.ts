/**
 * Schemas of msgpack documents (envelope bodies), checked on the bytes by `checkMsgpack` before
 * anything is decoded. A schema says exactly what a body may hold, so a structure the kind cannot
 * contain — another type, a deeper nesting, more items than the bytes left can hold, a string or
 * byte string over its limit, an extension other than bigints — is refused before msgpackr
 * allocates anything for it.
 */
import { checkedSchema, invalidSchema, requireBodySchema, schemaLength } from './bodySchemaCheck.js';
import { describeArgument } from './describeArgument.js';
import type {
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
} from './bodySchemaTypes.js';

/** Deepest nesting of arrays and maps an {@link AnySchema} value may have. */
export const ANY_MAX_DEPTH = 64;

/** Memory the decoded form of an {@link AnySchema} value may take per input byte, as estimated on the bytes. */
export const ANY_BYTES_PER_INPUT_BYTE = 16;

/** Estimated decoded memory every {@link AnySchema} value may take whatever its size (small documents always pass). */
export const ANY_ALLOWANCE_BYTES = 64 * 1024;

/** Largest bigint extension payload msgpackr writes for a bigint of `bits` bits (two's complement, 64-bit words). */
export function bigintExtensionBytes(bits: number): number {
  return 8 * Math.ceil((bits + 1) / 64);
}

/**
 * Builders of {@link BodySchema}s. Each checks its arguments (`INVALID_ARGUMENT` for a length or
 * count that is not a non-negative safe integer, an item that is not a schema, a `oneOf` of anything but leaf
 * schemas of distinct types).
 */
export const bodySchema = Object.freeze({
  str: (minBytes: number, maxBytes: number): StrSchema => {
    const [min, max] = [schemaLength(minBytes, 'str minBytes'), schemaLength(maxBytes, 'str maxBytes')];
    if (min > max) throw invalidSchema(`str: minBytes ${min} exceeds maxBytes ${max}`);
    return checkedSchema({ type: 'str', minBytes: min, maxBytes: max });
  },
  number: (): NumberSchema => NUMBER,
  bool: (): BoolSchema => BOOL,
  bin: (maxBytes: number): BinSchema =>
    checkedSchema({ type: 'bin', maxBytes: schemaLength(maxBytes, 'bin maxBytes') }),
  bigint: (maxBytes: number): BigIntSchema =>
    checkedSchema({ type: 'bigint', maxBytes: schemaLength(maxBytes, 'bigint maxBytes') }),
  oneOf: (description: string, ...options: OneOfSchema['options']): OneOfSchema =>
    checkedSchema(requireBodySchema({ type: 'oneOf', options, description }, 'oneOf') as OneOfSchema),
  tuple: (...items: BodySchema[]): TupleSchema =>
    checkedSchema(requireBodySchema({ type: 'tuple', items }, 'tuple') as TupleSchema),
  tupleOrEmpty: (...items: BodySchema[]): TupleSchema =>
    checkedSchema(requireBodySchema({ type: 'tuple', items, orEmpty: true }, 'tupleOrEmpty') as TupleSchema),
  list: (item: BodySchema, maxItems: number, options: { increasingBins?: boolean } = {}): ListSchema => {
    if (typeof options !== 'object' || options === null)
      throw invalidSchema(`list options must be an object, not ${describeArgument(options)}`);
    const increasingBins: unknown = options.increasingBins;
    return checkedSchema(
      requireBodySchema(
        { type: 'list', item, maxItems, ...(increasingBins === undefined ? {} : { increasingBins }) },
        'list',
      ) as ListSchema,
    );
  },
  map: (key: BodySchema, value: BodySchema, maxEntries: number): MapSchema =>
    checkedSchema(requireBodySchema({ type: 'map', key, value, maxEntries }, 'map') as MapSchema),
  any: (): AnySchema => ANY,
});

const NUMBER: NumberSchema = Object.freeze({ type: 'number' });
const BOOL: BoolSchema = Object.freeze({ type: 'bool' });
const ANY: AnySchema = Object.freeze({ type: 'any' });
for (const leaf of [NUMBER, BOOL, ANY]) checkedSchema(leaf);

const minSizes = new WeakMap<BodySchema, number>();

/** The fewest bytes a value of `schema` takes in msgpack (a lower bound: counts are checked against it). */
export function minEncodedSize(schema: BodySchema): number {
  let size = minSizes.get(schema);
  if (size !== undefined) return size;
  switch (schema.type) {
    case 'str':
      size = 1 + schema.minBytes;
      break;
    case 'bin':
      size = 2;
      break;
    case 'bigint':
      size = 3; // fixext 1
      break;
    case 'oneOf':
      size = Math.min(...schema.options.map(minEncodedSize));
      break;
    case 'tuple':
      size = schema.orEmpty === true ? 1 : schema.items.reduce((sum, item) => sum + minEncodedSize(item), 1);
      break;
    case 'number':
    case 'bool':
    case 'list':
    case 'map':
    case 'any':
      size = 1;
  }
  minSizes.set(schema, size);
  return size;
}
