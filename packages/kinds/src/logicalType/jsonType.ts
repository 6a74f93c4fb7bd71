import { Utf8 } from 'apache-arrow';
import { canonicalJsonOf, jsonValueProblem } from './canonicalJson.js';
import type { JsonValue } from './canonicalJson.js';
import { defineLogicalType } from './defineLogicalType.js';
import type { LogicalType } from './defineLogicalType.js';

/** Longest JSON literal `jsonType().parse()` accepts (16 Mi characters), checked before parsing. */
const MAX_JSON_LITERAL_LENGTH = 16 * 1024 * 1024;

/**
 * The `arrow.json` logical type, Arrow's canonical JSON extension type: UTF-8 text (`Utf8`),
 * metadata "" (as Arrow's other implementations write), encoding version 1. Values are JSON values
 * (no `undefined`, `NaN`, bigint, class instances, cycles or holes; at most 512 levels deep) and are
 * stored as their canonical JSON text (RFC 8785: sorted keys, no whitespace; `-0` is stored as `0`),
 * so equal documents are equal storage values. Reading accepts any JSON text other writers stored.
 *
 * In `vectorOf` and `valuesOf`, `null` is a null slot, so a stored JSON `null` document reads back
 * as `null` too. Logical types are immutable: every call returns the same object.
 */
export function jsonType(): LogicalType<JsonValue, Utf8, string> {
  return JSON_TYPE;
}

const JSON_TYPE: LogicalType<JsonValue, Utf8, string> = defineLogicalType({
  name: 'arrow.json',
  storageType: new Utf8(),
  encodingVersion: 1,
  metadata: '',
  description: 'a JSON value (null, boolean, finite number, string, array or plain object of JSON values)',
  maxLiteralLength: MAX_JSON_LITERAL_LENGTH,
  check: (value) => jsonValueProblem(value),
  toStorage: (value) => canonicalJsonOf(value),
  fromStorage(storage) {
    if (typeof storage !== 'string') throw new Error('expected JSON text');
    return JSON.parse(storage) as JsonValue;
  },
  parse: (literal) => JSON.parse(literal) as JsonValue,
  format: (value) => canonicalJsonOf(value),
});
