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
  /**
   * Demand the by-reference path: old handles must have `snapshot`, the new provider `adopt`, and
   * `adopt` must return a handle (default false: the path is checked when both hooks exist, and an
   * `adopt` answering `undefined` — the host then persists and opens — is allowed).
   */
  readonly expectAdopt?: boolean;
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));
const bytesEqual = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

/**
 * Proves an index survives a reload: for generated data, the handle built by `buildOld` answers a
 * batch of generated queries; it is persisted and opened by `newProvider` (the next version); the
 * reopened handle must answer every query identically (schema, ids, distances).
 *
 * When the old handle has `snapshot` and `newProvider` has `adopt`, the by-reference path is checked
 * too: `adopt` of a snapshot whose layout is renamed to one nobody knows must answer `undefined`;
 * `adopt(old.snapshot())` may answer `undefined` (unless `expectAdopt`), else the adopted handle must
 * answer every query identically, persist the same bytes as the reopened handle (both are the new
 * version's handle over the same index, so its format is the same whatever the old one wrote), and
 * keep doing both after the old handle is closed (it shares the old handle's memory, which `close()`
 * must not take away). The old handle must still answer identically after its snapshot was taken.
 * Every handle is closed afterwards. Throws a readable counterexample otherwise.
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
      let adopted: IndexHandle | undefined;
      let oldOpen = true;
      const kind = newProvider.kind;
      const rows = `source rows: ${show((source as { numRows?: number }).numRows)}, k = ${k}`;
      const sameAnswers = async (handle: IndexHandle, before: RecordBatch[], what: string): Promise<void> => {
        for (const [i, query] of queries.entries()) {
          const difference = batchDifference(before[i]!, await handle.probe(query, k));
          if (difference) fail(`${kind}: ${what}`, `query batch ${i} (${query.numRows} rows)`, difference, rows);
        }
      };
      try {
        const before: RecordBatch[] = [];
        for (const query of queries) before.push(await old.probe(query, k));
        const bytes = await old.persist();
        try {
          reopened = await newProvider.open(bytes);
        } catch (error) {
          fail(
            `${kind}: the new version cannot open the persisted index (${bytes.byteLength} bytes)`,
            `error: ${message(error)}`,
          );
        }
        await sameAnswers(reopened, before, 'answers changed after persist → open');

        const hooks = typeof old.snapshot === 'function' && typeof newProvider.adopt === 'function';
        if (!hooks) {
          if (options.expectAdopt)
            fail(
              `${kind}: adoption was expected, but ${typeof old.snapshot === 'function' ? 'the new provider has no adopt()' : 'the old handle has no snapshot()'}`,
            );
          return;
        }
        const snapshot = await old.snapshot!();
        const stranger = { ...snapshot, layout: `${snapshot.layout}+unknown-to-any-version` };
        let refused: IndexHandle | undefined;
        try {
          refused = await newProvider.adopt!(stranger);
        } catch (error) {
          fail(
            `${kind}: adopt() of an unknown layout '${stranger.layout}' threw instead of answering undefined`,
            message(error),
          );
        }
        if (refused !== undefined) {
          await refused.close();
          fail(`${kind}: adopt() took a snapshot of an unknown layout '${stranger.layout}' (it must answer undefined)`);
        }
        try {
          adopted = await newProvider.adopt!(snapshot);
        } catch (error) {
          fail(
            `${kind}: adopt() of the old handle's snapshot (layout '${snapshot.layout}') threw`,
            message(error),
            rows,
          );
        }
        await sameAnswers(old, before, 'the old handle answers differently once its snapshot was taken');
        if (adopted === undefined) {
          if (options.expectAdopt)
            fail(
              `${kind}: adopt() answered undefined for the old handle's snapshot (layout '${snapshot.layout}')`,
              'adoption was expected (expectAdopt): the new version does not read this layout, so a reload would persist and open',
            );
          return;
        }
        await sameAnswers(adopted, before, `answers changed after snapshot → adopt (layout '${snapshot.layout}')`);
        const want = await reopened.persist();
        const adoptedBytes = await adopted.persist();
        if (!bytesEqual(adoptedBytes, want))
          fail(
            `${kind}: the adopted handle persists other bytes than the same index opened from persisted bytes`,
            `adopted ${adoptedBytes.byteLength} bytes, reopened ${want.byteLength} bytes`,
            rows,
          );
        oldOpen = false;
        await old.close();
        await sameAnswers(adopted, before, 'the adopted handle answers differently after the old handle was closed');
        const afterClose = await adopted.persist();
        if (!bytesEqual(afterClose, want))
          fail(`${kind}: the adopted handle persists other bytes after the old handle was closed`, rows);
      } finally {
        if (oldOpen) await old.close();
        await reopened?.close();
        await adopted?.close();
      }
    }),
    assertParameters(options),
  );
}
