import { ReloadError } from '@baton/core';
import { canonicalJsonOf, jsonValueProblem } from './canonicalJson.js';
import { describeValue } from './logicalTypeErrors.js';
import type { JsonValue } from './canonicalJson.js';

/** Field metadata key holding a logical type's name (Arrow extension type convention). */
export const EXTENSION_NAME_KEY = 'ARROW:extension:name';

/** Field metadata key holding a logical type's serialised parameters (Arrow extension type convention). */
export const EXTENSION_METADATA_KEY = 'ARROW:extension:metadata';

/** The member of a metadata document that holds the encoding version. */
const ENCODING_VERSION_MEMBER = 'encodingVersion';

/** Longest `ARROW:extension:metadata` string that is parsed as a document (checked before parsing). */
const MAX_METADATA_LENGTH = 64 * 1024;

/** A metadata string read as a document (see {@link readTypeMetadata}). */
export interface TypeMetadataDocument {
  /** The document's members (empty for the empty string). */
  readonly members: Readonly<Record<string, JsonValue>>;
  /** The `encodingVersion` member, when the document has a numeric one. */
  readonly encodingVersion: number | undefined;
  /** The canonical JSON text of `members`, to compare two documents. */
  readonly canonical: string;
}

/**
 * The metadata string of a Baton-defined logical type: the canonical JSON (RFC 8785) of an object
 * holding `encodingVersion` and the type's parameters, e.g. `{"crs":"OGC:CRS84","encodingVersion":1}`.
 * It is written as `ARROW:extension:metadata` of every field of the type, so a reader can tell
 * which encoding version wrote a column before reading a value.
 */
export function typeMetadata(encodingVersion: number, parameters: Readonly<Record<string, JsonValue>> = {}): string {
  if (typeof parameters !== 'object' || parameters === null || Array.isArray(parameters))
    throw badParameters(`the parameters of a logical type must be a plain object (got ${describeValue(parameters)})`);
  if (Object.hasOwn(parameters, ENCODING_VERSION_MEMBER)) {
    throw badParameters(
      `'${ENCODING_VERSION_MEMBER}' is reserved in the metadata of a logical type; pass it as the encoding version`,
    );
  }
  if (!Number.isSafeInteger(encodingVersion) || encodingVersion < 1)
    throw badParameters(`the encoding version must be a positive integer (got ${describeValue(encodingVersion)})`);
  const problem = jsonValueProblem(parameters, 16);
  if (problem !== undefined) throw badParameters(`the parameters of a logical type must be JSON: ${problem}`);
  return canonicalJsonOf({ ...parameters, [ENCODING_VERSION_MEMBER]: encodingVersion });
}

/**
 * Reads an `ARROW:extension:metadata` string as a document: the empty string is the empty document
 * (Arrow's canonical extension types `arrow.uuid` and `arrow.json` write "" and readers may write
 * `{}`), a JSON object is its members. Anything else (not JSON, not an object, too long) is an opaque
 * string and gives `undefined`; such metadata only matches itself. Not a string: `INVALID_ARGUMENT`.
 */
export function readTypeMetadata(metadata: string): TypeMetadataDocument | undefined {
  if (typeof metadata !== 'string')
    throw badParameters(`extension metadata must be a string, not ${metadata === null ? 'null' : typeof metadata}`);
  if (metadata === '') return { members: {}, encodingVersion: undefined, canonical: '{}' };
  if (metadata.length > MAX_METADATA_LENGTH || !metadata.trimStart().startsWith('{')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(metadata);
  } catch {
    return undefined;
  }
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    Array.isArray(parsed) ||
    jsonValueProblem(parsed, 64) !== undefined
  )
    return undefined;
  const members = parsed as Readonly<Record<string, JsonValue>>;
  const version = Object.hasOwn(members, ENCODING_VERSION_MEMBER) ? members[ENCODING_VERSION_MEMBER] : undefined;
  return {
    members,
    encodingVersion: typeof version === 'number' ? version : undefined,
    canonical: canonicalJsonOf(members),
  };
}

function badParameters(message: string): ReloadError {
  return new ReloadError({ code: 'INVALID_ARGUMENT', phase: 'call', kind: 'logicalType', message });
}
