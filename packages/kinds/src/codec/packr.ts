import { Packr } from 'msgpackr';

/**
 * The one msgpackr configuration of @baton/kinds: Maps stay Maps, bigints of any size and 64-bit
 * integers come back as bigint, and bytes come back as bytes. (`__proto__` keys are renamed by
 * msgpackr when decoding, so decoded documents cannot pollute prototypes.)
 */
export const packr = new Packr({ mapsAsObjects: false, useBigIntExtension: true, int64AsType: 'bigint' });

/** Encodes a value with {@link packr}. */
export function pack(value: unknown): Uint8Array {
  const buffer = packr.pack(value);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** Decodes bytes made by {@link pack}; a Buffer inside comes back as a plain Uint8Array view. */
export function unpack(bytes: Uint8Array): unknown {
  return normaliseBytes(packr.unpack(bytes));
}

function normaliseBytes(value: unknown): unknown {
  if (value instanceof Uint8Array)
    return Buffer.isBuffer(value) ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength) : value;
  if (Array.isArray(value)) return value.map(normaliseBytes);
  if (value instanceof Map) {
    const out = new Map<unknown, unknown>();
    for (const [k, v] of value) out.set(normaliseBytes(k), normaliseBytes(v));
    return out;
  }
  return value;
}
