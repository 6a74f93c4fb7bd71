import { FixedSizeBinary } from 'apache-arrow';
import { defineLogicalType } from './defineLogicalType.js';
import type { LogicalType } from './defineLogicalType.js';

const CANONICAL = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HYPHENATED = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BARE = /^[0-9a-f]{32}$/i;
/** Where each byte's two hex digits start in the canonical 36-character form. */
const DIGIT_AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34] as const;
const HEX_BYTE = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));
/** The value of a lowercase hex digit by its char code (`value` is checked canonical before use). */
const DIGIT_VALUE = Uint8Array.from(
  { length: 128 },
  (_, code) => (code >= 0x61 ? code - 0x61 + 10 : code - 0x30) & 0x0f,
);

/**
 * The `arrow.uuid` logical type, Arrow's canonical UUID extension type: 16 bytes
 * (`FixedSizeBinary(16)`, RFC 9562 byte order) per value, metadata "" (as Arrow's other
 * implementations write and expect), encoding version 1. Values are canonical lowercase UUID strings (`8-4-4-4-12` hex digits; any version and
 * variant, so any 16 bytes are a value). `parse()` also accepts upper case, 32 bare hex digits,
 * `{…}` braces and a `urn:uuid:` prefix; `format()` gives the canonical string.
 *
 * Logical types are immutable: every call returns the same object.
 */
export function uuidType(): LogicalType<string, FixedSizeBinary, Uint8Array> {
  return UUID_TYPE;
}

const UUID_TYPE: LogicalType<string, FixedSizeBinary, Uint8Array> = defineLogicalType({
  name: 'arrow.uuid',
  storageType: new FixedSizeBinary(16),
  encodingVersion: 1,
  metadata: '',
  description: 'a canonical lowercase UUID string (8-4-4-4-12 hex digits)',
  maxLiteralLength: 64,
  check(value) {
    if (typeof value !== 'string') return 'expected a UUID string';
    if (CANONICAL.test(value)) return undefined;
    if (HYPHENATED.test(value)) return 'a UUID value must be lowercase (parse() accepts other spellings)';
    return 'expected 8-4-4-4-12 lowercase hex digits, e.g. "0b0e8c3a-6f1d-4c2e-9a57-3f2b8d1e4c60"';
  },
  toStorage(value) {
    const bytes = new Uint8Array(16);
    for (let i = 0; i < 16; i++) {
      const at = DIGIT_AT[i]!;
      bytes[i] = (DIGIT_VALUE[value.charCodeAt(at)]! << 4) | DIGIT_VALUE[value.charCodeAt(at + 1)]!;
    }
    return bytes;
  },
  fromStorage(storage) {
    if (!(storage instanceof Uint8Array)) throw new Error('expected 16 bytes');
    if (storage.byteLength !== 16) throw new Error(`expected 16 bytes, got ${storage.byteLength}`);
    let text = '';
    for (let i = 0; i < 16; i++)
      text += (i === 4 || i === 6 || i === 8 || i === 10 ? '-' : '') + HEX_BYTE[storage[i]!]!;
    return text;
  },
  parse(literal) {
    let text = literal.trim();
    if (/^urn:uuid:/i.test(text)) text = text.slice(9);
    else if (text.startsWith('{') && text.endsWith('}')) text = text.slice(1, -1);
    if (BARE.test(text))
      text = `${text.slice(0, 8)}-${text.slice(8, 12)}-${text.slice(12, 16)}-${text.slice(16, 20)}-${text.slice(20)}`;
    if (!HYPHENATED.test(text)) throw new Error('expected a UUID such as "0b0e8c3a-6f1d-4c2e-9a57-3f2b8d1e4c60"');
    return text.toLowerCase();
  },
  format: (value) => value,
});
