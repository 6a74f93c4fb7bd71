import { ReloadError } from '@baton/core';
import { Packr } from 'msgpackr';
import { bodySchema } from './bodySchema.js';
import { isDetached } from './envelopeArguments.js';
import { checkMsgpack } from './msgpackCheck.js';

/**
 * The one msgpackr configuration of @baton/kinds: Maps stay Maps, bigints of any size and 64-bit
 * integers come back as bigint, and bytes come back as bytes. (`__proto__` keys are renamed by
 * msgpackr when decoding, so decoded documents cannot pollute prototypes.)
 */
export const packr = new Packr({ mapsAsObjects: false, useBigIntExtension: true, int64AsType: 'bigint' });

/**
 * Encodes a value with {@link packr}. A value msgpack cannot hold (a symbol, a cycle, bytes whose
 * buffer is detached) is an `INVALID_ARGUMENT` `ReloadError`.
 */
export function pack(value: unknown): Uint8Array {
  let buffer: Buffer;
  try {
    buffer = packr.pack(value);
  } catch (error) {
    throw new ReloadError({
      code: 'INVALID_ARGUMENT',
      phase: 'call',
      message: `cannot pack the value as msgpack: ${error instanceof Error ? error.message : String(error)}`,
      cause: error,
    });
  }
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/**
 * Decodes bytes made by {@link pack}. The bytes are first checked as `bodySchema.any()` (no
 * extension but bigints, nesting at most `ANY_MAX_DEPTH` levels, declared counts within the bytes
 * left, a decoded size estimated within `ANY_BYTES_PER_INPUT_BYTE` bytes per input byte), so
 * decoding hostile bytes takes memory bounded by their size; a map with a key twice is refused.
 * Byte strings come back as plain `Uint8Array` views of `bytes`. Anything else is a `CORRUPT_INPUT`
 * `ReloadError` (phase `decode`).
 */
export function unpack(bytes: Uint8Array): unknown {
  const fail = (message: string, cause?: unknown): ReloadError =>
    new ReloadError({ code: 'CORRUPT_INPUT', phase: 'decode', message: `cannot unpack msgpack: ${message}`, cause });
  if (!(bytes instanceof Uint8Array)) throw fail('expected bytes (a Uint8Array)');
  if (isDetached(bytes)) throw fail("the bytes' buffer is detached (transferred away)");
  const { mapEntries } = checkMsgpack(bytes, 0, bytes.byteLength, bodySchema.any(), fail, 'value');
  // A plain Uint8Array view, so byte strings decode as plain views too (of a Buffer they would be Buffers).
  const source = Buffer.isBuffer(bytes) ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : bytes;
  let value: unknown;
  try {
    value = packr.unpack(source);
  } catch (error) {
    throw fail(error instanceof Error ? error.message : String(error), error);
  }
  if (mapEntries > 0 && countMapEntries(value) !== mapEntries) throw fail('a map has a key twice');
  return value;
}

/** The entries of every Map in a decoded msgpack value, nested ones included. */
export function countMapEntries(value: unknown): number {
  if (Array.isArray(value)) {
    let count = 0;
    for (const item of value as unknown[]) count += countMapEntries(item);
    return count;
  }
  if (!(value instanceof Map)) return 0;
  let count = value.size;
  for (const [key, item] of value as Map<unknown, unknown>) count += countMapEntries(key) + countMapEntries(item);
  return count;
}
