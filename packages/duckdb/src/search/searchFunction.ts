import { DuckDBTableFunction, VARCHAR } from '@duckdb/node-api';
import type {
  DuckDBTableFunctionBindInfo,
  DuckDBTableFunctionInfo,
  DuckDBTableFunctionInitInfo,
  DuckDBDataChunk,
} from '@duckdb/node-api';
import type { DataType, RecordBatch, Vector } from 'apache-arrow';
import { ReloadError } from '@baton/core';
import { columnTypeOfArrow, duckdbTypeOf } from '../types/columnTypes.js';
import type { ColumnType } from '../types/columnTypes.js';
import { writeArrow } from '../types/fromArrow.js';
import type { QueryScope } from '../engine/queryScope.js';

/** The rows a DuckDB chunk holds at most. */
const CHUNK_ROWS = 2048;

/** What the bind leaves for the scan: the probe result and its column types. */
interface SearchBinding {
  readonly result: RecordBatch;
  readonly types: readonly ColumnType[];
}

/** Where a scan is. */
interface SearchCursor {
  offset: number;
}

function searchError(name: string, message: string, cause?: unknown): ReloadError {
  return new ReloadError({
    code: 'INVALID_ARGUMENT',
    phase: 'call',
    kind: 'indexKind',
    key: name,
    message: `search '${name}': ${message}`,
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * The table function `name(search VARCHAR)` (default `baton_search`): the rows a managed index
 * answered for the search of that name, probed when the query started (`run(sql, values, {
 * searches })`). The columns are the index kind's result columns (`query`, `row`, `distance` for
 * `flat-vector`), of the types the entry points convert.
 */
export function searchTableFunction(
  name: string,
  scopeOf: (connectionId: string) => QueryScope | undefined,
): DuckDBTableFunction {
  return DuckDBTableFunction.create({
    name,
    parameterTypes: [VARCHAR],
    bindFunction: (info: DuckDBTableFunctionBindInfo) => {
      const search = String(info.getParameter(0));
      const scope = scopeOf(String(info.clientContext.connectionId));
      const fail = (error: ReloadError): void => {
        scope?.fail(error);
        info.setError(error.message);
      };
      if (scope === undefined) {
        fail(searchError(search, `${name}() runs only in queries of a BatonConnection (engine.connect())`));
        return;
      }
      const result = scope.searches.get(search);
      if (result === undefined) {
        fail(searchError(search, `the query has no search of that name: pass { searches: { '${search}': … } }`));
        return;
      }
      const types: ColumnType[] = [];
      try {
        for (const field of result.schema.fields) {
          const type = columnTypeOfArrow(field.type as DataType, search, 'indexKind');
          types.push(type);
          info.addResultColumn(field.name, duckdbTypeOf(type));
        }
      } catch (error) {
        fail(
          error instanceof ReloadError
            ? error
            : searchError(search, 'its result has a column DuckDB cannot carry', error),
        );
        return;
      }
      info.setCardinality(result.numRows, true);
      const binding: SearchBinding = { result, types };
      info.setBindData(binding);
    },
    initFunction: (info: DuckDBTableFunctionInitInfo) => {
      const cursor: SearchCursor = { offset: 0 };
      info.setInitData(cursor);
      info.setMaxThreads(1);
    },
    mainFunction: (info: DuckDBTableFunctionInfo, output: DuckDBDataChunk) => {
      const binding = info.bindData as SearchBinding;
      const cursor = info.initData as SearchCursor;
      const { result, types } = binding;
      const rows = Math.min(CHUNK_ROWS, result.numRows - cursor.offset);
      output.rowCount = rows;
      if (rows === 0) return;
      types.forEach((type, column) => {
        const slice = (result.getChildAt(column) as Vector).slice(cursor.offset, cursor.offset + rows);
        writeArrow(slice, type, output.getColumnVector(column));
      });
      cursor.offset += rows;
    },
  });
}
