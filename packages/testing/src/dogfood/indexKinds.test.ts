import type { IndexHandle, IndexKindProvider } from '@baton/core';
import { flatVectorIndex, orderedIndex } from '@baton/kinds';
import { tableFromArrays } from 'apache-arrow';
import type { Table } from 'apache-arrow';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { vectorQueries, vectorTables } from '../arbitraries/vectorTables.js';
import { assertIndexHandoff } from '../checks/indexHandoff.js';
import { indexKindConformance } from '../conformance/indexKindConformance.js';

const vectorSources = vectorTables({ maxRows: 80 });

describe('conformance: flat-vector', () => {
  for (const metric of ['l2', 'cosine'] as const) {
    for (const c of indexKindConformance(() => flatVectorIndex(), {
      sources: vectorSources,
      table: (s) => s.table,
      column: 'embedding',
      params: { metric },
      queries: (s) => vectorQueries(s.dim),
      numRuns: 40,
    })) {
      it(`${metric}: ${c.name}`, c.run, 60_000);
    }
  }
});

const orderedSources = fc
  .array(fc.integer({ min: -20, max: 20 }), { maxLength: 60 })
  .map((keys) => tableFromArrays({ key: Int32Array.from(keys) }));
const rangeQueries = fc
  .array(fc.tuple(fc.integer({ min: -25, max: 25 }), fc.integer({ min: 0, max: 10 })), { minLength: 1, maxLength: 4 })
  .map(
    (ranges) =>
      tableFromArrays({ lo: Int32Array.from(ranges, ([lo]) => lo), hi: Int32Array.from(ranges, ([lo, w]) => lo + w) })
        .batches[0]!,
  );

describe('conformance: ordered', () => {
  for (const c of indexKindConformance(() => orderedIndex(), {
    sources: orderedSources,
    table: (t) => t,
    column: 'key',
    queries: () => rangeQueries,
    numRuns: 40,
  }))
    it(c.name, c.run, 60_000);
});

describe('assertIndexHandoff', () => {
  it('catches an index whose reopen loses the last row', async () => {
    const honest = flatVectorIndex();
    // A broken next version: it reopens the index, but forgets the last indexed row.
    const broken: IndexKindProvider = {
      kind: honest.kind,
      build: (source, options) => honest.build(source, options),
      async open(bytes) {
        const handle = honest.open(bytes);
        const rows = handle.size;
        const lastRow = rows - 1;
        return {
          async probe(query, k) {
            const answer = handle.probe(query, k + 1);
            const column = (name: string): number[] =>
              Array.from(answer.getChild(name)!.toArray() as ArrayLike<number>);
            const [queries, rows, distances] = [column('query'), column('row'), column('distance')];
            const keep = rows.flatMap((row, i) => (row === lastRow ? [] : [i]));
            const perQuery = (i: number): boolean => keep.filter((j) => queries[j] === queries[i]).indexOf(i) < k;
            const kept = keep.filter(perQuery);
            return tableFromArrays({
              query: Int32Array.from(kept, (i) => queries[i]!),
              row: Int32Array.from(kept, (i) => rows[i]!),
              distance: Float32Array.from(kept, (i) => distances[i]!),
            }).batches[0]!;
          },
          persist: () => handle.persist(),
          close: () => {
            handle.close();
          },
        } satisfies IndexHandle;
      },
    };
    const failure = await assertIndexHandoff(
      (s: { table: Table }) => honest.build(s.table, { column: 'embedding' }),
      broken,
      {
        sources: vectorTables({ maxRows: 30, dims: { min: 1, max: 4 } }).filter((s) => s.table.numRows > 1),
        queries: (s) => vectorQueries(s.dim),
        k: fc.constant(100),
        numRuns: 50,
      },
    ).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(failure?.message).toMatch(/flat-vector: answers changed after persist → open/);
    expect(failure?.message).toMatch(/row counts differ|column '(row|distance|query)' differs at row \d+/);
  });
});
