import { ReloadError } from '@baton/core';
import type { DataType, Field } from 'apache-arrow';

/** The surface kind logical-type errors name. */
export const LOGICAL_TYPE_KIND = 'logicalType';

/**
 * Why a field could not be resolved to a registered logical type:
 * - `unknownName`: no registered type has the field's `ARROW:extension:name` (`SURFACE_NOT_FOUND`);
 * - `storageMismatch`: the field's Arrow type is not the registered storage type (`CORRUPT_INPUT`);
 * - `encodingVersionMismatch`: the field's metadata names another encoding version (`CORRUPT_INPUT`);
 * - `metadataMismatch`: the field's `ARROW:extension:metadata` differs otherwise (`CORRUPT_INPUT`).
 *
 * It is `details.problem` of the `ReloadError` thrown.
 */
export type LogicalFieldProblem = 'unknownName' | 'storageMismatch' | 'encodingVersionMismatch' | 'metadataMismatch';

/** An `INVALID_ARGUMENT` error about a value or literal given for logical type `name`. */
export function invalidValue(name: string, message: string, cause?: unknown): ReloadError {
  return new ReloadError({
    code: 'INVALID_ARGUMENT',
    phase: 'call',
    kind: LOGICAL_TYPE_KIND,
    key: name,
    message,
    cause,
  });
}

/** A `CORRUPT_INPUT` error about a storage value of logical type `name` that cannot be read. */
export function corruptStorage(name: string, message: string, cause?: unknown): ReloadError {
  return new ReloadError({
    code: 'CORRUPT_INPUT',
    phase: 'decode',
    kind: LOGICAL_TYPE_KIND,
    key: name,
    message,
    cause,
  });
}

/** The error for a field that does not resolve to a registered logical type (see {@link LogicalFieldProblem}). */
export function logicalFieldError(
  problem: LogicalFieldProblem,
  field: string,
  extensionName: string,
  message: string,
  details: Readonly<Record<string, unknown>> = {},
): ReloadError {
  return new ReloadError({
    code: problem === 'unknownName' ? 'SURFACE_NOT_FOUND' : 'CORRUPT_INPUT',
    phase: 'decode',
    kind: LOGICAL_TYPE_KIND,
    key: extensionName,
    message: `field '${field}': ${message}`,
    details: { ...details, problem, field, extensionName },
  });
}

/** Adds the row to an error about one value of a column (keeps its code; the original is the cause). */
export function atRow(error: unknown, row: number): unknown {
  if (!(error instanceof ReloadError)) return error;
  return new ReloadError({
    code: error.code,
    ...(error.phase === undefined ? {} : { phase: error.phase }),
    kind: LOGICAL_TYPE_KIND,
    ...(error.key === undefined ? {} : { key: error.key }),
    message: `row ${row}: ${error.message}`,
    cause: error,
    details: { ...error.details, row },
  });
}

/** A short, safe description of any value for error messages (never throws). */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof Uint8Array) return `${value.constructor.name}(${value.byteLength})`;
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > 60 ? value.slice(0, 60) + '…' : value);
    case 'bigint':
      return `${value}n`;
    case 'number':
    case 'boolean':
    case 'undefined':
      return String(value);
    case 'symbol':
    case 'function':
      return `a ${typeof value}`;
    case 'object':
      return Array.isArray(value) ? `an array of ${value.length}` : 'an object';
  }
  return 'a value';
}

/** Levels of children {@link describeDataType} spells out (a deeper type is cut short: `…`). */
const DESCRIBED_LEVELS = 3;

/** Longest description {@link describeDataType} gives, in characters. */
const DESCRIBED_LENGTH = 1024;

/**
 * An Arrow type with its children's names, types and nullability, e.g. `FixedSizeList[2]<Float64>
 * {item: Float64?}`: at most {@link DESCRIBED_LEVELS} levels and {@link DESCRIBED_LENGTH}
 * characters, so describing a type nested thousands of levels deep costs no more than a few.
 */
export function describeDataType(type: DataType, levels = DESCRIBED_LEVELS): string {
  const name = (type as { toString(): string }).toString();
  const fields = (type.children as Field[] | null | undefined) ?? [];
  let out = name.length > DESCRIBED_LENGTH ? `${name.slice(0, DESCRIBED_LENGTH)}…` : name;
  if (fields.length === 0) return out;
  if (levels === 0) return `${out} {…}`;
  const children = fields
    .slice(0, 16)
    .map(
      (field) => `${field.name}: ${describeDataType(field.type as DataType, levels - 1)}${field.nullable ? '?' : ''}`,
    );
  out = `${out} {${children.join(', ')}${fields.length > 16 ? ', …' : ''}}`;
  return out.length > DESCRIBED_LENGTH ? `${out.slice(0, DESCRIBED_LENGTH)}…` : out;
}
