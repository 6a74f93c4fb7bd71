import type { IndexHandle, IndexKindProvider, MaybePromise } from '@baton/core';
import type { RecordBatch, Table } from 'apache-arrow';
import fc from 'fast-check';
import { batchDifference } from './batchEquality.js';
import { fail, show } from './describe.js';
import { assertParameters } from './runOptions.js';
import type { RunOptions } from './runOptions.js';

/** Options of {@link assertIndexHandoff}. */
export interface IndexHandoffOptions<S> extends RunOptions {
  /** The data indexes are built from (e.g. {@link vectorTables}). */
  readonly sources: fc.Arbitrary<S>;
  /** Query batches for a source. */
  readonly queries: (source: S) => fc.Arbitrary<RecordBatch>;
  /** Matches per query (default: 1..10). */
  readonly k?: fc.Arbitrary<number>;
}

/**
 * Proves an index survives a reload: for generated data, the handle built by `buildOld` answers a
 * batch of generated queries; it is persisted and opened by `newProvider` (the next version); the
 * reopened handle must answer every query identically (schema, ids, distances). Both handles are
 * closed afterwards. Throws a readable counterexample otherwise.
 */
export async function assertIndexHandoff<S = Table>(
  buildOld: (source: S) => MaybePromise<IndexHandle>,
  newProvider: IndexKindProvider,
  options: IndexHandoffOptions<S>,
): Promise<void> {
  const case_ = options.sources.chain((source) =>
    fc.tuple(
      fc.constant(source),
      fc.array(options.queries(source), { minLength: 1, maxLength: 4 }),
      options.k ?? fc.integer({ min: 1, max: 10 }),
    ),
  );
  await fc.assert(
    fc.asyncProperty(case_, async ([source, queries, k]) => {
      const old = await buildOld(source);
      let reopened: IndexHandle | undefined;
      try {
        const before = [];
        for (const query of queries) before.push(await old.probe(query, k));
        const bytes = await old.persist();
        try {
          reopened = await newProvider.open(bytes);
        } catch (error) {
          fail(
            `${newProvider.kind}: the new version cannot open the persisted index (${bytes.byteLength} bytes)`,
            `error: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
        for (const [i, query] of queries.entries()) {
          const after = await reopened.probe(query, k);
          const difference = batchDifference(before[i]!, after);
          if (difference)
            fail(
              `${newProvider.kind}: answers changed after persist → open`,
              `query batch ${i} (${query.numRows} rows), k = ${k}`,
              difference,
              `source rows: ${show((source as { numRows?: number }).numRows)}`,
            );
        }
      } finally {
        await old.close();
        await reopened?.close();
      }
    }),
    assertParameters(options),
  );
}
