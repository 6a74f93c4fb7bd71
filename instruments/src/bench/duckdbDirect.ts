import { DuckDBScalarFunction, VARCHAR } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Vector } from 'apache-arrow';
import type { ScalarFunctionProvider } from '@baton/core';
import { columnTypeOfDuckDB, toArrow, writeArrow } from '@baton/duckdb';

const varchar = columnTypeOfDuckDB(VARCHAR);

/**
 * Registers on `connection` the baselines of the DuckDB row: `direct_lower`, the plugin's provider
 * (VARCHAR → VARCHAR) registered with `@duckdb/node-api` directly — the same DuckDB ↔ Arrow
 * conversion as Baton's entry point (`toArrow` and `writeArrow` of `@baton/duckdb`), with no host,
 * lease, routing or checks — and `native_lower`, a hand-written function computing the same values
 * without Arrow.
 */
export function registerBaselines(connection: DuckDBConnection, provider: ScalarFunctionProvider): void {
  connection.registerScalarFunction(
    DuckDBScalarFunction.create({
      name: 'direct_lower',
      parameterTypes: [VARCHAR],
      returnType: VARCHAR,
      specialHandling: true,
      mainFunction: (_info, input, output) => {
        const result = provider.invoke([toArrow(input.getColumnVector(0), varchar, input.rowCount)]) as Vector;
        writeArrow(result, varchar, output);
      },
    }),
  );
  connection.registerScalarFunction(
    DuckDBScalarFunction.create({
      name: 'native_lower',
      parameterTypes: [VARCHAR],
      returnType: VARCHAR,
      specialHandling: true,
      mainFunction: (_info, input, output) => {
        const column = input.getColumnVector(0);
        for (let row = 0; row < input.rowCount; row++) {
          const value = column.getItem(row) as string | null;
          output.setItem(row, value === null ? null : value.toLowerCase());
        }
        output.flush();
      },
    }),
  );
}
