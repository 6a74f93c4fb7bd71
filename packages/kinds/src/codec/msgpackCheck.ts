import {
  ANY_ALLOWANCE_BYTES,
  ANY_BYTES_PER_INPUT_BYTE,
  ANY_MAX_DEPTH,
  bigintExtensionBytes,
  minEncodedSize,
} from './bodySchema.js';
import type { BodySchema, ListSchema, MapSchema, OneOfSchema, TupleSchema } from './bodySchemaTypes.js';
import { ARRAY, BIN, BOOL, EXT, familyName, FLOAT, INT, INT64, MAP, MsgpackHead, NIL, STR } from './msgpackHead.js';

/** msgpackr's bigint extension type. */
const BIGINT_EXTENSION = 0x42;

/** Largest bigint extension an {@link AnySchema} value may hold (a bigint of 4096 bits). */
const ANY_BIGINT_BYTES = bigintExtensionBytes(4096);

/** What {@link checkMsgpack} found. */
export interface MsgpackCheck {
  /** Map entries the document declares (a decoded document with fewer had duplicate keys). */
  readonly mapEntries: number;
}

/**
 * Estimated memory of decoded values (V8, 64-bit, measured with Node 20): what an {@link AnySchema}
 * document is charged, per value, against its budget.
 */
const COST = {
  array: 48,
  slot: 8,
  map: 184,
  mapEntry: 48,
  string: 24,
  bin: 96,
  heapNumber: 16,
  bigint: 24,
} as const;

/**
 * Checks that the msgpack value at `bytes[start..end)` matches `schema` and fills the range exactly,
 * in one pass over the bytes that allocates nothing per value: types, tuple lengths, declared item
 * counts against the bytes left, string and byte-string lengths, extension types (bigints only),
 * the order of byte strings where the schema asks for it. Every problem throws `fail(message)`,
 * the message naming where (`body[1][3]`) and what was expected. Duplicate map keys are not
 * detected here: compare {@link MsgpackCheck.mapEntries} with the decoded maps' sizes.
 */
export function checkMsgpack(
  bytes: Uint8Array,
  start: number,
  end: number,
  schema: BodySchema,
  fail: (message: string) => Error,
  root = 'body',
): MsgpackCheck {
  const checker = new Checker(bytes, start, end, fail, root);
  checker.value(schema);
  if (checker.head.at !== end) throw fail(`${end - checker.head.at} bytes follow the ${root}`);
  return { mapEntries: checker.mapEntries };
}

class Checker {
  readonly head: MsgpackHead;
  /**
   * Where the value being checked is: `i ≥ 0` for item `i` of an array, `-1 - 2k` for the key and
   * `-2 - 2k` for the value of map entry `k` (numbers, so tracking the path allocates nothing).
   */
  readonly #path: number[] = [];
  readonly #root: string;
  readonly #fail: (message: string) => Error;
  mapEntries = 0;
  /** Estimated decoded bytes of `any` values so far, and the most they may take. */
  #cost = 0;
  readonly #budget: number;

  constructor(bytes: Uint8Array, start: number, end: number, fail: (message: string) => Error, root: string) {
    this.#root = root;
    this.#fail = fail;
    this.head = new MsgpackHead(bytes, start, end, (message) => this.#error(message));
    this.#budget = ANY_BYTES_PER_INPUT_BYTE * (end - start) + ANY_ALLOWANCE_BYTES;
  }

  /** Reads the next value and checks it against `schema`. */
  value(schema: BodySchema): void {
    this.head.next();
    this.#matches(schema);
  }

  /** Checks the value whose header was just read against `schema` (and reads the rest of it). */
  #matches(schema: BodySchema): void {
    const head = this.head;
    switch (schema.type) {
      case 'str':
        this.#expect(head.family === STR, 'a string');
        if (head.length < schema.minBytes || head.length > schema.maxBytes)
          throw this.#error(`a string of ${head.length} bytes (${schema.minBytes}..${schema.maxBytes} expected)`);
        {
          head.skipPayload();
          return;
        }
      case 'number': {
        this.#expect(head.family === INT || head.family === FLOAT, 'a number');
        return;
      }
      case 'bool': {
        this.#expect(head.family === BOOL, 'a boolean');
        return;
      }
      case 'bin':
        this.#expect(head.family === BIN, 'a byte string');
        if (head.length > schema.maxBytes)
          throw this.#error(`a byte string of ${head.length} bytes (at most ${schema.maxBytes} expected)`);
        {
          head.skipPayload();
          return;
        }
      case 'bigint': {
        this.#bigint(schema.maxBytes);
        return;
      }
      case 'oneOf': {
        this.#oneOf(schema);
        return;
      }
      case 'tuple': {
        this.#tuple(schema);
        return;
      }
      case 'list': {
        this.#list(schema);
        return;
      }
      case 'map': {
        this.#map(schema);
        return;
      }
      case 'any': {
        this.#any(0);
        return;
      }
    }
  }

  #expect(ok: boolean, expected: string): void {
    if (!ok) throw this.#error(`${familyName(this.head.family)} where ${expected} was expected`);
  }

  #bigint(maxBytes: number): void {
    const head = this.head;
    if (head.family === INT64) return;
    this.#expect(head.family === EXT, 'a bigint');
    if (head.extType !== BIGINT_EXTENSION)
      throw this.#error(
        `an extension of type 0x${head.extType.toString(16)} (only msgpackr's bigint extension, 0x42, is allowed)`,
      );
    if (head.length < 1 || head.length > maxBytes)
      throw this.#error(`a bigint extension of ${head.length} bytes (1..${maxBytes} expected)`);
    head.skipPayload();
  }

  #oneOf(schema: OneOfSchema): void {
    const family = this.head.family;
    for (const option of schema.options) {
      const matches =
        option.type === 'str'
          ? family === STR
          : option.type === 'number'
            ? family === INT || family === FLOAT
            : option.type === 'bool'
              ? family === BOOL
              : option.type === 'bin'
                ? family === BIN
                : family === INT64 || family === EXT;
      if (matches) {
        this.#matches(option);
        return;
      }
    }
    throw this.#error(`${familyName(family)} where ${schema.description} was expected`);
  }

  #tuple(schema: TupleSchema): void {
    const head = this.head;
    this.#expect(head.family === ARRAY, 'an array');
    const length = head.length;
    if (length === 0 && schema.orEmpty === true) return;
    if (length !== schema.items.length)
      throw this.#error(
        `an array of ${length} items where ${schema.items.length}${schema.orEmpty === true ? ' or 0' : ''} were expected`,
      );
    for (let i = 0; i < length; i++) {
      this.#path.push(i);
      this.value(schema.items[i]!);
      this.#path.pop();
    }
  }

  #list(schema: ListSchema): void {
    const head = this.head;
    this.#expect(head.family === ARRAY, 'an array');
    const length = head.length;
    this.#fits(length, schema.maxItems, minEncodedSize(schema.item), 'items');
    let previousBin = -1;
    let previousLength = 0;
    for (let i = 0; i < length; i++) {
      this.#path.push(i);
      this.value(schema.item);
      if (schema.increasingBins === true && head.family === BIN) {
        const startOfBin = head.at - head.length;
        if (previousBin >= 0 && compareBytes(head.bytes, previousBin, previousLength, startOfBin, head.length) >= 0)
          throw this.#error('a byte string not greater than the byte string before it');
        previousBin = startOfBin;
        previousLength = head.length;
      }
      this.#path.pop();
    }
  }

  #map(schema: MapSchema): void {
    const head = this.head;
    this.#expect(head.family === MAP, 'a map');
    const length = head.length;
    this.#fits(length, schema.maxEntries, minEncodedSize(schema.key) + minEncodedSize(schema.value), 'entries');
    this.mapEntries += length;
    for (let i = 0; i < length; i++) {
      this.#path.push(-1 - 2 * i);
      this.value(schema.key);
      this.#path[this.#path.length - 1] = -2 - 2 * i;
      this.value(schema.value);
      this.#path.pop();
    }
  }

  /** Checks that `count` items of at least `itemBytes` bytes each can be in the bytes left and in `max`. */
  #fits(count: number, max: number, itemBytes: number, what: string): void {
    if (count > max) throw this.#error(`${count} ${what} (at most ${max} expected)`);
    if (count * itemBytes > this.head.left)
      throw this.#error(
        `${count} ${what} of at least ${itemBytes} bytes each declared, ${this.head.left} bytes are left`,
      );
  }

  #any(depth: number): void {
    const head = this.head;
    switch (head.family) {
      case INT: {
        this.#charge(head.size === 5 ? COST.heapNumber : 0);
        return;
      }
      case FLOAT: {
        this.#charge(COST.heapNumber);
        return;
      }
      case INT64: {
        this.#charge(COST.bigint);
        return;
      }
      case NIL:
      case BOOL:
        return;
      case STR:
        this.#charge(head.length <= 1 ? 0 : COST.string + head.length);
        {
          head.skipPayload();
          return;
        }
      case BIN:
        this.#charge(COST.bin);
        {
          head.skipPayload();
          return;
        }
      case EXT:
        this.#bigint(ANY_BIGINT_BYTES);
        {
          this.#charge(COST.bigint + head.length);
          return;
        }
    }
    if (depth >= ANY_MAX_DEPTH) throw this.#error(`values nested deeper than ${ANY_MAX_DEPTH} levels`);
    const length = head.length;
    const map = head.family === MAP;
    this.#fits(length, Number.MAX_SAFE_INTEGER, map ? 2 : 1, map ? 'entries' : 'items');
    this.#charge(map ? COST.map + COST.mapEntry * length : COST.array + COST.slot * length);
    if (map) this.mapEntries += length;
    const values = map ? 2 * length : length;
    for (let i = 0; i < values; i++) {
      this.#path.push(map ? -1 - i : i);
      head.next();
      this.#any(depth + 1);
      this.#path.pop();
    }
  }

  #charge(bytes: number): void {
    this.#cost += bytes;
    if (this.#cost > this.#budget)
      throw this.#error(
        `decoding would take more than ${ANY_BYTES_PER_INPUT_BYTE} bytes of memory per input byte (estimated on the bytes)`,
      );
  }

  #error(message: string): Error {
    const path = this.#path
      .map((p) => (p >= 0 ? `[${p}]` : ` (${p % 2 === 0 ? 'value' : 'key'} ${(-1 - p) >> 1})`))
      .join('');
    return this.#fail(`${this.#root}${path}: ${message}`);
  }
}

/** Orders `bytes[a, a + aLength)` and `bytes[b, b + bLength)` bytewise, then by length (as `Buffer.compare`). */
function compareBytes(bytes: Uint8Array, a: number, aLength: number, b: number, bLength: number): number {
  const n = Math.min(aLength, bLength);
  for (let i = 0; i < n; i++) {
    const d = bytes[a + i]! - bytes[b + i]!;
    if (d !== 0) return d;
  }
  return aLength - bLength;
}
