import { ARRAY, BIGINT, BOOLEAN, DOUBLE, DuckDBTypeId, FLOAT, INTEGER, LIST, VARCHAR } from '@duckdb/node-api';
import type { DuckDBType } from '@duckdb/node-api';
import {
  Bool,
  DataType,
  Field,
  FixedSizeList,
  Float32,
  Float64,
  Int32,
  Int64,
  List,
  Precision,
  Utf8,
} from 'apache-arrow';
import { ReloadError } from '@baton/core';

/**
 * The column types a DuckDB entry point converts between DuckDB and Arrow, one name per pair. Every
 * other type is refused with `INVALID_ARGUMENT` when the entry point is registered (a query never
 * meets it).
 *
 * | DuckDB              | Arrow                            |
 * | ------------------- | -------------------------------- |
 * | `VARCHAR`           | `Utf8`                           |
 * | `DOUBLE` / `FLOAT`  | `Float64` / `Float32`            |
 * | `BIGINT`            | `Int64` (bigint values)          |
 * | `INTEGER`           | `Int32`                          |
 * | `BOOLEAN`           | `Bool`                           |
 * | `FLOAT[]`, `DOUBLE[]` (LIST)        | `List<Float32>`, `List<Float64>`                         |
 * | `FLOAT[n]`, `DOUBLE[n]` (ARRAY)     | `FixedSizeList[n]<Float32>`, `FixedSizeList[n]<Float64>` |
 *
 * NULL is a null in both, at every level (a null row, a null list element).
 */
export type ColumnType =
  | { readonly id: 'varchar' }
  | { readonly id: 'double' }
  | { readonly id: 'float' }
  | { readonly id: 'bigint' }
  | { readonly id: 'integer' }
  | { readonly id: 'boolean' }
  | { readonly id: 'list'; readonly element: 'float' | 'double' }
  | { readonly id: 'array'; readonly element: 'float' | 'double'; readonly size: number };

/** The largest ARRAY size DuckDB accepts. */
const MAX_ARRAY_SIZE = 100_000;

function unsupported(what: string, key: string | undefined, kind: string | undefined): ReloadError {
  return new ReloadError({
    code: 'INVALID_ARGUMENT',
    phase: 'load',
    ...(kind === undefined ? {} : { kind }),
    ...(key === undefined ? {} : { key }),
    message:
      `${key === undefined ? '' : `'${key}': `}${what} is not a type a DuckDB entry point converts ` +
      '(VARCHAR, DOUBLE, FLOAT, BIGINT, INTEGER, BOOLEAN, FLOAT[]/DOUBLE[] lists and FLOAT[n]/DOUBLE[n] arrays)',
  });
}

/** The scalar DuckDB types the entry points convert, by type id. */
const scalarTypes = new Map<DuckDBTypeId, ColumnType>([
  [DuckDBTypeId.VARCHAR, { id: 'varchar' }],
  [DuckDBTypeId.DOUBLE, { id: 'double' }],
  [DuckDBTypeId.FLOAT, { id: 'float' }],
  [DuckDBTypeId.BIGINT, { id: 'bigint' }],
  [DuckDBTypeId.INTEGER, { id: 'integer' }],
  [DuckDBTypeId.BOOLEAN, { id: 'boolean' }],
]);

/**
 * The column type of a DuckDB type; `INVALID_ARGUMENT` for a type the entry points do not convert
 * (naming the surface `kind` and `key` when given).
 */
export function columnTypeOfDuckDB(type: DuckDBType, key?: string, kind?: string): ColumnType {
  const scalar = scalarTypes.get(type.typeId);
  if (scalar) return scalar;
  if (type.typeId === DuckDBTypeId.LIST) {
    const element = floatElement(type.valueType.typeId);
    if (element) return { id: 'list', element };
  }
  if (type.typeId === DuckDBTypeId.ARRAY) {
    const element = floatElement(type.valueType.typeId);
    if (element) return { id: 'array', element, size: type.length };
  }
  throw unsupported(`DuckDB type ${type.toString()}`, key, kind);
}

function floatElement(typeId: DuckDBTypeId): 'float' | 'double' | undefined {
  if (typeId === DuckDBTypeId.FLOAT) return 'float';
  if (typeId === DuckDBTypeId.DOUBLE) return 'double';
  return undefined;
}

function floatOfArrow(type: DataType | undefined): 'float' | 'double' | undefined {
  if (type === undefined || !DataType.isFloat(type)) return undefined;
  if (type.precision === Precision.SINGLE) return 'float';
  if (type.precision === Precision.DOUBLE) return 'double';
  return undefined;
}

/**
 * The column type of an Arrow type; `INVALID_ARGUMENT` for a type the entry points do not convert
 * (naming the surface `kind` and `key` when given).
 */
export function columnTypeOfArrow(type: DataType, key?: string, kind?: string): ColumnType {
  if (DataType.isUtf8(type)) return { id: 'varchar' };
  if (DataType.isBool(type)) return { id: 'boolean' };
  const float = floatOfArrow(type);
  if (float) return { id: float };
  if (DataType.isInt(type) && type.isSigned && type.bitWidth === 64) return { id: 'bigint' };
  if (DataType.isInt(type) && type.isSigned && type.bitWidth === 32) return { id: 'integer' };
  if (DataType.isList(type)) {
    const element = floatOfArrow(type.children[0]?.type as DataType | undefined);
    if (element) return { id: 'list', element };
  }
  if (DataType.isFixedSizeList(type)) {
    const element = floatOfArrow(type.children[0]?.type as DataType | undefined);
    if (element && type.listSize >= 1 && type.listSize <= MAX_ARRAY_SIZE)
      return { id: 'array', element, size: type.listSize };
  }
  throw unsupported(`Arrow type ${arrowTypeText(type)}`, key, kind);
}

/** The DuckDB type of a column type. */
export function duckdbTypeOf(type: ColumnType): DuckDBType {
  switch (type.id) {
    case 'varchar':
      return VARCHAR;
    case 'double':
      return DOUBLE;
    case 'float':
      return FLOAT;
    case 'bigint':
      return BIGINT;
    case 'integer':
      return INTEGER;
    case 'boolean':
      return BOOLEAN;
    case 'list':
      return LIST(type.element === 'float' ? FLOAT : DOUBLE);
    case 'array':
      return ARRAY(type.element === 'float' ? FLOAT : DOUBLE, type.size);
  }
}

/** The Arrow type of a column type (list children are nullable fields named `item`). */
export function arrowTypeOf(type: ColumnType): DataType {
  switch (type.id) {
    case 'varchar':
      return new Utf8();
    case 'double':
      return new Float64();
    case 'float':
      return new Float32();
    case 'bigint':
      return new Int64();
    case 'integer':
      return new Int32();
    case 'boolean':
      return new Bool();
    case 'list':
      return new List(new Field('item', type.element === 'float' ? new Float32() : new Float64(), true));
    case 'array':
      return new FixedSizeList(
        type.size,
        new Field('item', type.element === 'float' ? new Float32() : new Float64(), true),
      );
  }
}

/** `VARCHAR`, `FLOAT[]`, `DOUBLE[3]`: the column type as DuckDB writes it. */
export function columnTypeName(type: ColumnType): string {
  switch (type.id) {
    case 'list':
      return `${type.element.toUpperCase()}[]`;
    case 'array':
      return `${type.element.toUpperCase()}[${type.size}]`;
    case 'varchar':
    case 'double':
    case 'float':
    case 'bigint':
    case 'integer':
    case 'boolean':
      return type.id.toUpperCase();
  }
}

/** `Float64`, `FixedSizeList[3]<Float32>`: an Arrow type as arrow-js writes it. */
export function arrowTypeText(type: DataType): string {
  return (type as { toString(): string }).toString();
}

/** Whether two column types are the same. */
export function sameColumnType(a: ColumnType, b: ColumnType): boolean {
  return columnTypeName(a) === columnTypeName(b);
}
