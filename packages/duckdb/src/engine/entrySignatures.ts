import type { DuckDBType } from '@duckdb/node-api';
import type { DataType } from 'apache-arrow';
import { ReloadError } from '@baton/core';
import { columnTypeOfArrow, columnTypeOfDuckDB } from '../types/columnTypes.js';
import type { ColumnType } from '../types/columnTypes.js';
import type { EntrySignature } from './entryPoint.js';

type FunctionKind = 'scalarFunction' | 'aggregateFunction' | 'indexKind';

const SQL_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/** An `INVALID_ARGUMENT` error of a registration. */
export function invalidRegistration(kind: FunctionKind, message: string, key?: string): ReloadError {
  return new ReloadError({
    code: 'INVALID_ARGUMENT',
    phase: 'load',
    kind,
    ...(key === undefined ? {} : { key }),
    message: key === undefined ? message : `'${key}': ${message}`,
  });
}

/** The checked surface key and SQL name of a registration. */
export function entryName(kind: FunctionKind, key: unknown, name: unknown): { key: string; name: string } {
  if (typeof key !== 'string' || key === '') throw invalidRegistration(kind, 'key must be a non-empty string');
  const sqlName = name ?? key;
  if (typeof sqlName !== 'string' || !SQL_NAME.test(sqlName))
    throw invalidRegistration(
      kind,
      `${JSON.stringify(sqlName)} is not a function name DuckDB can call (letters, digits, _)`,
      key,
    );
  return { key, name: sqlName };
}

const fromDuckDB = (kind: FunctionKind, key: string, type: DuckDBType): ColumnType =>
  columnTypeOfDuckDB(type, key, kind);
const fromArrow = (kind: FunctionKind, key: string, type: DataType): ColumnType => columnTypeOfArrow(type, key, kind);

/** The types a provider declares (read without a lease: declarations only). */
interface Declared {
  readonly argumentTypes?: readonly DataType[];
  readonly returnType?: DataType;
}

/**
 * A scalar entry point's signature: the DuckDB types given, else the serving provider's Arrow
 * types. `INVALID_ARGUMENT` when neither says, or for a type the entry points do not convert.
 */
export function scalarSignature(
  key: string,
  provider: Declared | undefined,
  options: { readonly parameterTypes?: readonly DuckDBType[]; readonly returnType?: DuckDBType },
): EntrySignature {
  const kind = 'scalarFunction';
  const parameters = options.parameterTypes
    ? options.parameterTypes.map((type) => fromDuckDB(kind, key, type))
    : provider?.argumentTypes?.map((type) => fromArrow(kind, key, type));
  const returns = options.returnType
    ? fromDuckDB(kind, key, options.returnType)
    : provider?.returnType === undefined
      ? undefined
      : fromArrow(kind, key, provider.returnType);
  if (parameters === undefined || returns === undefined)
    throw invalidRegistration(
      kind,
      provider === undefined
        ? 'no loaded plugin provides it: give parameterTypes and returnType'
        : 'the provider declares no argumentTypes: give parameterTypes',
      key,
    );
  return { parameters, returns };
}

/**
 * An aggregate entry point's signature: the element type of the list it aggregates (a scalar
 * type), and the return type given or the provider's (a scalar type).
 */
export function aggregateSignature(
  key: string,
  provider: Declared | undefined,
  options: { readonly elementType: DuckDBType; readonly returnType?: DuckDBType },
): EntrySignature {
  const kind = 'aggregateFunction';
  if (typeof options.elementType !== 'object')
    throw invalidRegistration(kind, 'elementType (the DuckDB type of the values aggregated) is required', key);
  const element = fromDuckDB(kind, key, options.elementType);
  const returns = options.returnType
    ? fromDuckDB(kind, key, options.returnType)
    : provider?.returnType === undefined
      ? undefined
      : fromArrow(kind, key, provider.returnType);
  if (returns === undefined) throw invalidRegistration(kind, 'no loaded plugin provides it: give returnType', key);
  for (const type of [element, returns])
    if (type.id === 'list' || type.id === 'array')
      throw invalidRegistration(kind, 'aggregates take and return scalar values (not lists or arrays)', key);
  return { parameters: [element], returns };
}
