import { isReloadError } from '@baton/core';
import { toReloadError } from '@baton/core/kit';
import type { CompatVerdict, LogicalTypeProvider, MaybePromise, ReloadError } from '@baton/core';
import { isArrowDataType } from 'apache-arrow';
import type { DataType } from 'apache-arrow';
import type { JsonValue } from './canonicalJson.js';
import { LOGICAL_TYPE_KIND, corruptStorage, describeValue, invalidValue } from './logicalTypeErrors.js';
import { readTypeMetadata, typeMetadata } from './typeMetadata.js';

/** Default upper bound on the length of a literal given to `parse()`, checked before parsing. */
const DEFAULT_MAX_LITERAL_LENGTH = 4096;

/**
 * An Arrow logical (extension) type: the {@link LogicalTypeProvider} contract a host registers
 * (`registrar.logicalType(type)`), plus the conversions an engine needs between JS values of type
 * `V` and storage values `SV` of the Arrow `storageType`. Every method checks its input: a bad value
 * or literal is an `INVALID_ARGUMENT` `ReloadError`, an unreadable storage value a `CORRUPT_INPUT` one.
 */
export interface LogicalType<V = unknown, S extends DataType = DataType, SV = unknown> extends LogicalTypeProvider<S> {
  /** What a value of this type is, in words (used in error messages). */
  readonly description: string;
  /** True when `value` is a valid value of this type. */
  isValid(value: unknown): value is V;
  /** Returns `value` when valid; throws `INVALID_ARGUMENT` naming what is wrong otherwise. */
  validate(value: unknown): V;
  /** The storage value of `value` (as an Arrow builder of `storageType` accepts it). */
  toStorage(value: V): SV;
  /** The value a storage value read from a column holds (`CORRUPT_INPUT` when it holds none). */
  fromStorage(storage: unknown): V;
  /** The value a literal (user text, SQL literal) denotes (`INVALID_ARGUMENT` when none). */
  parse(literal: string): V;
  /** The display text of `value`; `parse(format(v))` gives back `v`. */
  format(value: V): string;
}

/** A logical type of any value and storage type (what a registry holds). */
export type AnyLogicalType = LogicalType;

/** The value type of a {@link LogicalType}. */
export type LogicalValueOf<T> = T extends LogicalType<infer V> ? V : never;

/** What {@link defineLogicalType} makes a logical type from. */
export interface LogicalTypeSpec<V, S extends DataType, SV> {
  /** `ARROW:extension:name` (the registry key), e.g. `baton.geo.point`. */
  readonly name: string;
  readonly storageType: S;
  /** Version of the value encoding inside `storageType`, a positive integer. */
  readonly encodingVersion: number;
  /**
   * Parameters written, with the encoding version, into the metadata document: the canonical JSON
   * (RFC 8785) of `{ encodingVersion, ...parameters }`.
   * Not allowed together with `metadata`.
   */
  readonly parameters?: Readonly<Record<string, JsonValue>>;
  /**
   * An explicit `ARROW:extension:metadata` string, for types whose metadata another spec fixes (Arrow's
   * canonical `arrow.uuid` and `arrow.json` write ""). Default: the canonical JSON of `{ encodingVersion, ...parameters }`.
   */
  readonly metadata?: string;
  /** What a value of the type is, in words. */
  readonly description: string;
  /** What makes `value` invalid, or `undefined` when it is a valid value (then it must be a `V`). */
  check(value: unknown): string | undefined;
  /** Converts a checked value. */
  toStorage(value: V): SV;
  /** Converts a storage value; throws (any error) when it holds no value. The result is then checked. */
  fromStorage(storage: unknown): V;
  /** Parses a literal no longer than `maxLiteralLength`; throws (any error) when invalid. The result is then checked. */
  parse(literal: string): V;
  /** Formats a checked value. */
  format(value: V): string;
  /** Longest literal `parse()` accepts (default 4096 characters). */
  readonly maxLiteralLength?: number;
  /** Further compat checks beyond the extension contract (see `LogicalTypeProvider.compatCheck`). */
  compatCheck?(old: LogicalTypeProvider): MaybePromise<CompatVerdict>;
}

/**
 * Declares a logical type. Checks the spec (`INVALID_ARGUMENT` naming every problem) and returns a
 * frozen {@link LogicalType} whose methods validate inputs and results and turn any failure into a
 * `ReloadError` naming the type.
 */
export function defineLogicalType<V, S extends DataType, SV>(spec: LogicalTypeSpec<V, S, SV>): LogicalType<V, S, SV> {
  const name = typeof spec?.name === 'string' ? spec.name : '';
  const metadata = checkContract(spec, name);
  const maxLiteral = spec.maxLiteralLength ?? DEFAULT_MAX_LITERAL_LENGTH;
  const problemOf = (value: unknown): string | undefined => {
    try {
      return spec.check(value);
    } catch (error) {
      return `checking it threw: ${error instanceof Error ? error.message : String(error)}`;
    }
  };
  const validate = (value: unknown): V => {
    const problem = problemOf(value);
    if (problem !== undefined) throw invalidValue(name, `invalid ${name} value ${describeValue(value)}: ${problem}`);
    return value as V;
  };

  /** A conversion threw on a valid value: a defect of the type, reported as `INTERNAL`. */
  const failed = (step: string, value: unknown, error: unknown): ReloadError =>
    toReloadError(error, {
      code: 'INTERNAL',
      phase: 'call',
      kind: LOGICAL_TYPE_KIND,
      key: name,
      step,
      message: `${step}() of ${name} failed on the valid value ${describeValue(value)}: ${reasonOf(error)}`,
    });

  const type: LogicalType<V, S, SV> = {
    name,
    storageType: spec.storageType,
    encodingVersion: spec.encodingVersion,
    metadata,
    description: spec.description,
    isValid: (value: unknown): value is V => problemOf(value) === undefined,
    validate,
    toStorage: (value) => {
      const valid = validate(value);
      try {
        return spec.toStorage(valid);
      } catch (error) {
        throw failed('toStorage', valid, error);
      }
    },
    fromStorage(storage) {
      let value: V;
      try {
        value = spec.fromStorage(storage);
      } catch (error) {
        throw corruptStorage(
          name,
          `cannot read storage value ${describeValue(storage)} as ${name}: ${reasonOf(error)}`,
          error,
        );
      }
      const problem = problemOf(value);
      if (problem !== undefined)
        throw corruptStorage(
          name,
          `storage value ${describeValue(storage)} holds an invalid ${name} value: ${problem}`,
        );
      return value;
    },
    parse(literal) {
      if (typeof literal !== 'string')
        throw invalidValue(name, `${name} literals must be strings (got ${describeValue(literal)})`);
      if (literal.length > maxLiteral)
        throw invalidValue(
          name,
          `the ${name} literal of ${literal.length} characters exceeds the limit of ${maxLiteral}`,
        );
      let value: V;
      try {
        value = spec.parse(literal);
      } catch (error) {
        throw invalidValue(name, `cannot parse ${describeValue(literal)} as ${name}: ${reasonOf(error)}`, error);
      }
      const problem = problemOf(value);
      if (problem !== undefined)
        throw invalidValue(name, `literal ${describeValue(literal)} is not a valid ${name} value: ${problem}`);
      return value;
    },
    format: (value) => {
      const valid = validate(value);
      try {
        return spec.format(valid);
      } catch (error) {
        throw failed('format', valid, error);
      }
    },
  };
  if (spec.compatCheck) {
    const check = spec.compatCheck.bind(spec);
    Object.assign(type, { compatCheck: (old: LogicalTypeProvider) => check(old) });
  }
  return Object.freeze(type);
}

/** Checks the contract part of a spec and returns its metadata string. */
function checkContract(spec: LogicalTypeSpec<unknown, DataType, unknown>, name: string): string {
  if (typeof spec !== 'object' || spec === null)
    throw invalidValue('', `a logical type spec must be an object (got ${describeValue(spec)})`);
  const problems: string[] = [];
  if (name === '' || name.length > 256)
    problems.push(`'name' must be a non-empty string of at most 256 characters (got ${describeValue(spec.name)})`);
  if (!isArrowDataType(spec.storageType))
    problems.push(`'storageType' must be an Arrow DataType (got ${describeValue(spec.storageType)})`);
  const version = spec.encodingVersion;
  if (!Number.isSafeInteger(version) || version < 1)
    problems.push(`'encodingVersion' must be a positive integer (got ${describeValue(version)})`);
  if (typeof spec.description !== 'string' || spec.description === '')
    problems.push(`'description' must be a non-empty string`);
  for (const method of ['check', 'toStorage', 'fromStorage', 'parse', 'format'] as const) {
    if (typeof spec[method] !== 'function') problems.push(`'${method}()' is missing`);
  }
  if (spec.compatCheck !== undefined && typeof spec.compatCheck !== 'function')
    problems.push(`'compatCheck' must be a function when present`);
  const maxLiteral = spec.maxLiteralLength;
  if (maxLiteral !== undefined && (!Number.isSafeInteger(maxLiteral) || maxLiteral < 1))
    problems.push(`'maxLiteralLength' must be a positive integer`);
  let metadata = '';
  if (spec.metadata !== undefined) {
    if (spec.parameters !== undefined) problems.push(`give either 'metadata' or 'parameters', not both`);
    if (typeof spec.metadata !== 'string')
      problems.push(`'metadata' must be a string (got ${describeValue(spec.metadata)})`);
    else metadata = spec.metadata;
    const declared = typeof spec.metadata === 'string' ? readTypeMetadata(spec.metadata)?.encodingVersion : undefined;
    if (declared !== undefined && declared !== version)
      problems.push(`'metadata' names encoding version ${declared} but 'encodingVersion' is ${describeValue(version)}`);
  } else if (problems.length === 0) {
    try {
      metadata = typeMetadata(version, spec.parameters);
    } catch (error) {
      problems.push(reasonOf(error));
    }
  }
  if (problems.length > 0)
    throw invalidValue(name, `invalid logical type ${name === '' ? '' : `'${name}' `}spec: ${problems.join('; ')}`);
  return metadata;
}

function reasonOf(error: unknown): string {
  if (isReloadError(error)) return error.message;
  return error instanceof Error ? error.message : String(error);
}
