import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { DATE, DuckDBArrayValue, DuckDBListValue, arrayValue, listValue, MAP, VARCHAR } from '@duckdb/node-api';
import type { DuckDBValue } from '@duckdb/node-api';
import {
  DataType,
  DateDay,
  Field,
  FixedSizeList,
  Float32,
  Float64,
  Int32,
  Int64,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import type { Vector } from 'apache-arrow';
import { l2NormFunction, lowerFunction } from '@baton/kinds';
import {
  arrowTypeOf,
  arrowTypeText,
  columnTypeName,
  columnTypeOfArrow,
  columnTypeOfDuckDB,
  duckdbTypeOf,
} from './columnTypes.js';
import type { ColumnType } from './columnTypes.js';
import { engineWith, pluginOf, scalar, typedError } from '../engine/__tests__/engineFixtures.js';

/** One column type with its values as JavaScript sees them (`null` for NULL). */
interface Case {
  readonly type: ColumnType;
  readonly values: fc.Arbitrary<unknown>;
  /** The DuckDB value to append for a JavaScript value. */
  readonly toDuckDB?: (value: unknown) => DuckDBValue;
}

const nullable = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | null> => fc.option(arb, { nil: null, freq: 5 });
const float32 = fc.float({ noDefaultInfinity: false }).map(Math.fround);
const elements = (element: 'float' | 'double'): fc.Arbitrary<number> => (element === 'float' ? float32 : fc.double());
const list = (element: 'float' | 'double'): Case => ({
  type: { id: 'list', element },
  values: nullable(fc.array(nullable(elements(element)), { maxLength: 5 })),
  toDuckDB: (value) => (value === null ? null : listValue(value as DuckDBValue[])),
});
const array = (element: 'float' | 'double', size: number): Case => ({
  type: { id: 'array', element, size },
  values: nullable(fc.array(nullable(elements(element)), { minLength: size, maxLength: size })),
  toDuckDB: (value) => (value === null ? null : arrayValue(value as DuckDBValue[])),
});

const cases: Case[] = [
  {
    type: { id: 'varchar' },
    values: nullable(fc.oneof(fc.string({ unit: 'binary', maxLength: 20 }), fc.constant('nul\0inside'))),
  },
  { type: { id: 'double' }, values: nullable(fc.double()) },
  { type: { id: 'float' }, values: nullable(float32) },
  { type: { id: 'bigint' }, values: nullable(fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n)) },
  { type: { id: 'integer' }, values: nullable(fc.integer()) },
  { type: { id: 'boolean' }, values: nullable(fc.boolean()) },
  list('float'),
  list('double'),
  array('float', 3),
  array('double', 2),
];

/** A DuckDB result value as plain JavaScript. */
function plain(value: DuckDBValue): unknown {
  if (value instanceof DuckDBListValue || value instanceof DuckDBArrayValue) return value.items.map(plain);
  return value;
}

describe('DuckDB ↔ Arrow conversion through an entry point', () => {
  for (const { type, values, toDuckDB } of cases) {
    const name = columnTypeName(type);
    test.prop([fc.array(values, { maxLength: 2600 })], { numRuns: 8 })(
      `${name}: an identity function returns every value and NULL as it was (across chunks)`,
      async (rows) => {
        const arrowType = arrowTypeOf(type);
        const seen: string[] = [];
        const echo = scalar('echo', [arrowType], arrowType, ([input]) => {
          seen.push(arrowTypeText(input!.type as DataType));
          return input;
        });
        await using fixture = await engineWith(pluginOf('echo', '1.0.0', echo));
        fixture.engine.registerScalarFunction('echo');
        const raw = await fixture.engine.instance.connect();
        await raw.run(`CREATE TABLE t (id INTEGER, v ${duckdbTypeOf(type).toString()})`);
        const appender = await raw.createAppender('t');
        rows.forEach((value, id) => {
          appender.appendInteger(id);
          if (value === null) appender.appendNull();
          else appender.appendValue(toDuckDB ? toDuckDB(value) : (value as DuckDBValue), duckdbTypeOf(type));
          appender.endRow();
        });
        appender.closeSync();
        raw.disconnectSync();
        await using connection = await fixture.engine.connect();
        const reader = await connection.runAndReadAll('SELECT echo(v) FROM t ORDER BY id');
        expect(reader.getRows().map(([value]) => plain(value!))).toEqual(rows);
        if (rows.length > 0) expect(seen[0]).toBe(arrowTypeText(arrowType));
      },
    );
  }

  it('hands providers the Arrow vectors they expect: lower over VARCHAR, l2norm over FLOAT[3]', async () => {
    await using fixture = await engineWith(
      pluginOf('clean', '1.0.0', lowerFunction(), l2NormFunction({ dimension: 3 })),
    );
    fixture.engine.registerScalarFunction('lower', { name: 'baton_lower' });
    fixture.engine.registerScalarFunction('l2norm');
    await using connection = await fixture.engine.connect();
    const lowered = await connection.runAndReadAll(
      "SELECT baton_lower(s) FROM (VALUES (1, 'ÀBC'), (2, NULL), (3, 'MiXeD ✓')) t(i, s) ORDER BY i",
    );
    expect(lowered.getRows()).toEqual([['àbc'], [null], ['mixed ✓']]);
    const norms = await connection.runAndReadAll(
      'SELECT l2norm(v) FROM (VALUES (1, [3, 4, 0]::FLOAT[3]), (2, NULL), (3, [1, NULL, 1]::FLOAT[3])) t(i, v) ORDER BY i',
    );
    expect(norms.getRows()).toEqual([[5], [null], [null]]);
  });

  it('maps the supported types both ways and refuses the others with INVALID_ARGUMENT', () => {
    for (const { type } of cases) {
      expect(columnTypeOfDuckDB(duckdbTypeOf(type))).toEqual(type);
      expect(columnTypeOfArrow(arrowTypeOf(type))).toEqual(type);
    }
    expect(() => columnTypeOfDuckDB(DATE, 'f')).toThrow(typedError('INVALID_ARGUMENT', 'DuckDB type DATE'));
    expect(() => columnTypeOfDuckDB(MAP(VARCHAR, VARCHAR))).toThrow(typedError('INVALID_ARGUMENT'));
    expect(() => columnTypeOfArrow(new DateDay())).toThrow(typedError('INVALID_ARGUMENT', 'Arrow type Date'));
    expect(() => columnTypeOfArrow(new FixedSizeList(2, new Field('item', new Utf8())))).toThrow(
      typedError('INVALID_ARGUMENT'),
    );
    expect(columnTypeOfArrow(new FixedSizeList(4, new Field('x', new Float32())))).toEqual({
      id: 'array',
      element: 'float',
      size: 4,
    });
    expect(DataType.isInt(arrowTypeOf({ id: 'integer' }))).toBe(true);
  });

  it('refuses to register a function over a type DuckDB entry points do not convert', async () => {
    const dated = scalar('dated', [new DateDay()], new Int32(), () => vectorFromArray([1], new Int32()));
    await using fixture = await engineWith(pluginOf('d', '1.0.0', dated, lowerFunction({ name: 'lower' })));
    expect(() => fixture.engine.registerScalarFunction('dated')).toThrow(typedError('INVALID_ARGUMENT', 'Date'));
    expect(() => fixture.engine.registerScalarFunction('lower', { parameterTypes: [DATE] })).toThrow(
      typedError('INVALID_ARGUMENT', 'DATE'),
    );
    expect(fixture.engine.entryPoints()).toEqual([]);
  });

  it('keeps Int64 values that do not fit a double exact', async () => {
    const bigintType = new Int64();
    const plusOne = scalar('plus_one', [bigintType], bigintType, ([input]) =>
      vectorFromArray(
        [...(input as Vector<Int64>)].map((value) => (value === null ? null : value + 1n)),
        bigintType,
      ),
    );
    await using fixture = await engineWith(pluginOf('b', '1.0.0', plusOne));
    fixture.engine.registerScalarFunction('plus_one');
    await using connection = await fixture.engine.connect();
    const reader = await connection.runAndReadAll('SELECT plus_one(9007199254740993::BIGINT), plus_one(NULL)');
    expect(reader.getRows()).toEqual([[9007199254740994n, null]]);
    const doubles = new Float64();
    expect(columnTypeOfArrow(doubles)).toEqual({ id: 'double' });
  });
});
