import { DuckDBScalarFunction, VARCHAR } from '@duckdb/node-api';
import type { DuckDBConnection, DuckDBVector } from '@duckdb/node-api';
import { makeData, makeVector, Utf8 } from 'apache-arrow';
import type { Data, Vector } from 'apache-arrow';
import type { ScalarFunctionProvider } from '@baton/core';

const encoder = new TextEncoder();
const utf8 = new Utf8();

/**
 * A DuckDB VARCHAR vector's first `rows` strings as an Arrow Utf8 vector, encoded straight into one
 * value buffer: the conversion `@baton/duckdb` makes for a VARCHAR argument (its `toArrow`), written
 * out here for the one type the bench needs, so the baseline does the same work per row.
 */
function varcharToArrow(vector: DuckDBVector, rows: number): Vector {
  const offsets = new Int32Array(rows + 1);
  let bitmap: Uint8Array | undefined;
  let nulls = 0;
  let bytes = new Uint8Array(rows * 16 + 64);
  let at = 0;
  for (let row = 0; row < rows; row++) {
    const value = vector.getItem(row) as string | null;
    if (value === null) {
      bitmap ??= new Uint8Array(Math.ceil(rows / 8)).fill(0xff);
      bitmap[row >> 3]! &= ~(1 << (row & 7));
      nulls++;
    } else {
      if (bytes.length - at < value.length * 3) {
        const grown = new Uint8Array(Math.max(bytes.length * 2, at + value.length * 3));
        grown.set(bytes.subarray(0, at));
        bytes = grown;
      }
      at += encoder.encodeInto(value, bytes.subarray(at)).written;
    }
    offsets[row + 1] = at;
  }
  return makeVector(
    makeData({
      type: utf8,
      length: rows,
      valueOffsets: offsets,
      data: bytes.subarray(0, at),
      nullCount: nulls,
      ...(bitmap ? { nullBitmap: bitmap } : {}),
    }),
  );
}

/** Writes an Arrow Utf8 vector's rows into a DuckDB output vector (as `@baton/duckdb`'s `writeArrow` does). */
function writeVarchar(source: Vector, output: DuckDBVector): void {
  let row = 0;
  for (const chunk of source.data as Data[]) {
    for (let i = 0; i < chunk.length; i++, row++) output.setItem(row, (source.get(row) as string | null) ?? null);
  }
  output.flush();
}

/**
 * Registers on `connection` the baselines of the DuckDB row: `direct_lower`, the plugin's provider
 * (VARCHAR → VARCHAR) registered with `@duckdb/node-api` directly — the same DuckDB ↔ Arrow
 * conversion as Baton's entry point, with no host, lease, routing or checks — and `native_lower`, a
 * hand-written function computing the same values without Arrow.
 */
export function registerBaselines(connection: DuckDBConnection, provider: ScalarFunctionProvider): void {
  connection.registerScalarFunction(
    DuckDBScalarFunction.create({
      name: 'direct_lower',
      parameterTypes: [VARCHAR],
      returnType: VARCHAR,
      specialHandling: true,
      mainFunction: (_info, input, output) => {
        const result = provider.invoke([varcharToArrow(input.getColumnVector(0), input.rowCount)]) as Vector;
        writeVarchar(result, output);
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
