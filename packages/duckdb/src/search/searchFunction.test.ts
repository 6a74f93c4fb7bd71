import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import type { RecordBatch } from 'apache-arrow';
import { createPluginHost, definePlugin } from '@baton/core';
import type { PluginHost } from '@baton/core';
import { flatVectorIndex } from '@baton/kinds';
import { vectorBatch, vectorTables } from '@baton/testing';
import { BatonDuckDB } from '../index.js';
import { typedError } from '../engine/__tests__/engineFixtures.js';

const vectors = (version: string) =>
  definePlugin({
    name: 'vectors',
    version,
    register(r) {
      r.indexKind(flatVectorIndex());
    },
  });

/** The rows of a probe result, as DuckDB returns them (`query`, `row`, `distance`). */
function rowsOf(result: RecordBatch): unknown[][] {
  return result.toArray().map((proxy) => {
    const row = proxy as unknown as { query: number; row: number; distance: number };
    return [row.query, row.row, row.distance];
  });
}

async function setUp(): Promise<{ host: PluginHost; engine: BatonDuckDB } & AsyncDisposable> {
  const host = createPluginHost();
  await host.load(vectors('1.0.0'));
  const engine = await BatonDuckDB.open({ host });
  engine.registerSearchFunction();
  return {
    host,
    engine,
    async [Symbol.asyncDispose]() {
      await engine.close();
      await host.close();
    },
  };
}

describe('index searches read by a query', () => {
  test.prop(
    [
      vectorTables({ dims: { min: 1, max: 6 }, maxRows: 60 }).chain(({ table, dim }) =>
        fc.record({
          table: fc.constant(table),
          dim: fc.constant(dim),
          queries: fc
            .array(fc.float({ noNaN: true, noDefaultInfinity: true, min: -10, max: 10 }), {
              minLength: dim,
              maxLength: dim * 4,
            })
            .map((xs) => Float32Array.from(xs.slice(0, xs.length - (xs.length % dim)))),
          k: fc.integer({ min: 1, max: 8 }),
        }),
      ),
    ],
    { numRuns: 15 },
  )(
    'a query joining baton_search() sees exactly what the index answers, across a reload',
    async ({ table, dim, queries, k }) => {
      await using fixture = await setUp();
      const { host, engine } = fixture;
      const index = await host.openIndex({ name: 'docs', key: 'flat-vector', source: table, column: 'embedding' });
      const query = vectorBatch('vector', dim, queries);
      const expected = rowsOf(await index.probe(query, k));
      await using connection = await engine.connect();
      await connection.run(
        "CREATE TABLE docs AS SELECT i::INTEGER AS id, 'doc ' || i::VARCHAR AS title FROM range($1::BIGINT) t(i)",
        [BigInt(table.numRows)],
      );
      const search = async (): Promise<unknown[][]> =>
        (
          await connection.runAndReadAll(
            `SELECT s.query, s.row, s.distance, d.title FROM baton_search('nearest') s JOIN docs d ON d.id = s.row
           ORDER BY s.query, s.distance, s.row`,
            undefined,
            { searches: { nearest: { index, query, k } } },
          )
        ).getRows();
      const before = await search();
      expect(before.map(([q, row, distance]) => [q, row, distance])).toEqual(expected);
      expect(before.map(([, , , title]) => title)).toEqual(before.map(([, row]) => `doc ${String(row)}`));
      const during = search();
      const reload = await host.reload(vectors('2.0.0'));
      expect(await during).toEqual(before);
      await reload.retired;
      expect(index.version).toBe('2.0.0');
      expect(await search()).toEqual(before);
    },
  );

  it('refuses a search the query was not given, bad requests and raw connections, typed', async () => {
    await using fixture = await setUp();
    const { host, engine } = fixture;
    const table = vectorBatch('embedding', 2, Float32Array.from([0, 0, 1, 1, 2, 2]));
    const index = await host.openIndex({ name: 'docs', key: 'flat-vector', source: table, column: 'embedding' });
    const query = vectorBatch('vector', 2, Float32Array.from([1, 1]));
    await using connection = await engine.connect();
    await expect(connection.runAndReadAll("SELECT * FROM baton_search('nearest')")).rejects.toThrow(
      typedError('INVALID_ARGUMENT', "search 'nearest': the query has no search of that name"),
    );
    await expect(
      connection.run('SELECT 1', undefined, { searches: { nearest: { index, query, k: 0 } } }),
    ).rejects.toThrow(typedError('INVALID_ARGUMENT', 'k must be a positive integer'));
    await expect(
      connection.run('SELECT 1', undefined, { searches: { nearest: { index: {} as never, query, k: 1 } } }),
    ).rejects.toThrow(typedError('INVALID_ARGUMENT', 'index must have a probe'));
    const answer = await connection.runAndReadAll(
      "SELECT row FROM baton_search('n') ORDER BY distance, row",
      undefined,
      {
        searches: { n: { index, query, k: 2 } },
      },
    );
    expect(answer.getRows()).toEqual([[1], [0]]);
    const raw = await engine.instance.connect();
    await expect(raw.run("SELECT * FROM baton_search('n')")).rejects.toThrow(/BatonConnection/);
    raw.disconnectSync();
    expect(() => engine.registerSearchFunction()).toThrow(typedError('INVALID_ARGUMENT', 'already registered'));
    expect(engine.registerSearchFunction({ name: 'knn' })).toEqual({ name: 'knn' });
  });
});
