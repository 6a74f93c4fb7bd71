import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { DOUBLE, INTEGER, VARCHAR } from '@duckdb/node-api';
import { Utf8 } from 'apache-arrow';
import { definePlugin } from '@baton/core';
import type { AggregateFunctionProvider } from '@baton/core';
import { meanAggregate, sumAggregate } from '@baton/kinds';
import { engineWith, typedError } from './__tests__/engineFixtures.js';

function aggregatePlugin(version: string, ...providers: AggregateFunctionProvider[]) {
  return definePlugin({
    name: 'aggregates',
    version,
    register(r) {
      for (const provider of providers) r.aggregateFunction(provider);
    },
  });
}

/** `agg_version(list(VARCHAR)) → VARCHAR`: the plugin version that aggregated the group. */
const versionAggregate = (version: string): AggregateFunctionProvider<string, string> => ({
  name: 'agg_version',
  returnType: new Utf8(),
  init: () => version,
  update: (state) => state,
  merge: (left) => left,
  finish: (state) => state,
});

describe('aggregate entry points (a plugin aggregate over a DuckDB list)', () => {
  test.prop(
    [
      fc.array(
        fc.tuple(fc.integer({ min: 0, max: 4 }), fc.option(fc.integer({ min: -1e6, max: 1e6 }), { nil: null })),
        { maxLength: 3000 },
      ),
    ],
    {
      numRuns: 10,
    },
  )('sum and mean per group equal DuckDB’s own (integer-valued doubles, NULLs skipped)', async (rows) => {
    await using fixture = await engineWith(aggregatePlugin('1.0.0', sumAggregate(), meanAggregate()));
    fixture.engine.registerAggregateFunction('sum', { name: 'plugin_sum', elementType: DOUBLE });
    expect(fixture.engine.registerAggregateFunction('mean', { name: 'plugin_mean', elementType: DOUBLE })).toEqual({
      name: 'plugin_mean',
      kind: 'aggregateFunction',
      key: 'mean',
      signature: '(DOUBLE[]) → DOUBLE',
    });
    await using connection = await fixture.engine.connect();
    await connection.run('CREATE TABLE t (g INTEGER, x DOUBLE)');
    for (let at = 0; at < rows.length; at += 500) {
      const slice = rows.slice(at, at + 500);
      await connection.run(
        `INSERT INTO t VALUES ${slice.map(([g, x]) => `(${g}, ${x === null ? 'NULL' : x})`).join(', ')}`,
      );
    }
    const reader = await connection.runAndReadAll(
      'SELECT g, plugin_sum(list(x)), sum(x), plugin_mean(list(x)), avg(x) FROM t GROUP BY g ORDER BY g',
    );
    for (const [, pluginSum, sum, pluginMean, mean] of reader.getRows()) {
      expect(pluginSum).toBe(sum);
      if (mean === null) expect(pluginMean).toBeNull();
      else expect(Math.abs((pluginMean as number) - (mean as number))).toBeLessThan(1e-9);
    }
    // A global aggregate over no rows: list() is NULL, the plugin aggregates nothing.
    const empty = await connection.runAndReadAll('SELECT plugin_sum(list(x)) FROM t WHERE false');
    expect(empty.getRows()).toEqual([[null]]);
  });

  it('hold one version per query across a reload, like scalar entry points', async () => {
    await using fixture = await engineWith(aggregatePlugin('1.0.0', versionAggregate('1.0.0')));
    const { engine, host } = fixture;
    engine.registerAggregateFunction('agg_version', { elementType: INTEGER });
    await using connection = await engine.connect();
    const versions = async (): Promise<unknown[]> =>
      (
        await connection.runAndReadAll(
          'SELECT DISTINCT agg_version(list(x::INTEGER)) FROM range(100000) t(x) GROUP BY x % 5000',
        )
      )
        .getRows()
        .flat();
    const during = versions();
    const reload = await host.reload(aggregatePlugin('2.0.0', versionAggregate('2.0.0')));
    expect((await during).length).toBe(1);
    await reload.retired;
    expect(await versions()).toEqual(['2.0.0']);
  });

  it('refuses lists and arrays, missing types, and providers breaking the contract, typed', async () => {
    const asyncFinish: AggregateFunctionProvider = {
      ...sumAggregate({ name: 'later' }),
      finish: () => Promise.resolve(1),
    };
    const wrongValue: AggregateFunctionProvider = { ...sumAggregate({ name: 'wrong' }), finish: () => 'one' };
    const throwing: AggregateFunctionProvider = {
      ...sumAggregate({ name: 'boom' }),
      update: () => {
        throw new RangeError('overflow');
      },
    };
    await using fixture = await engineWith(aggregatePlugin('1.0.0', sumAggregate(), asyncFinish, wrongValue, throwing));
    const { engine } = fixture;
    expect(() => engine.registerAggregateFunction('sum', {} as never)).toThrow(
      typedError('INVALID_ARGUMENT', 'elementType'),
    );
    expect(() => engine.registerAggregateFunction('missing', { elementType: DOUBLE })).toThrow(
      typedError('INVALID_ARGUMENT', 'no loaded plugin'),
    );
    for (const name of ['later', 'wrong', 'boom']) engine.registerAggregateFunction(name, { elementType: DOUBLE });
    engine.registerAggregateFunction('sum', { name: 'sum_text', elementType: VARCHAR, returnType: VARCHAR });
    await using connection = await engine.connect();
    const run = (sql: string): Promise<unknown> => connection.runAndReadAll(sql);
    await expect(run('SELECT later(list(1.0))')).rejects.toThrow(
      typedError('INVALID_PROVIDER', 'finish() returned a promise'),
    );
    await expect(run('SELECT wrong(list(1.0))')).rejects.toThrow(typedError('INVALID_PROVIDER', 'not a DOUBLE value'));
    await expect(run('SELECT boom(list(1.0))')).rejects.toThrow(
      typedError('PROVIDER_FAILED', 'update() failed: overflow'),
    );
    await expect(run("SELECT sum_text(list('a'))")).rejects.toThrow(
      typedError(
        'INVALID_PROVIDER',
        'the provider returns DOUBLE, but the DuckDB entry point was registered returning VARCHAR',
      ),
    );
  });
});
