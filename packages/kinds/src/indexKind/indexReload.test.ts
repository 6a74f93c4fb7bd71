import { createPluginHost, definePlugin } from '@baton/core';
import { Int32, Table, vectorFromArray } from 'apache-arrow';
import { expect, it } from 'vitest';
import { flatVectorIndex } from './flatVectorIndex.js';
import { orderedIndex } from './orderedIndex.js';
import { equalityBatch, matchArrays } from './__tests__/keyData.js';
import { knnArrays, queryBatch, vectorTable } from './__tests__/vectorData.js';

/** Each version registers fresh providers, as a newly loaded plugin module would. */
const searchPlugin = (version: string) =>
  definePlugin({
    name: 'search',
    version,
    register(r) {
      r.indexKind(flatVectorIndex());
      r.indexKind(orderedIndex());
    },
  });

it('keeps both index kinds answering identically across a host reload', async () => {
  await using host = createPluginHost();
  await host.load(searchPlugin('1.0.0'));
  const rows = [[1, 0, 0], [0, 1, 0], null, [1, 1, 0], [0, 0, 1], [1, 0, 0]];
  const vectors = await host.openIndex({
    name: 'docs',
    key: 'flat-vector',
    source: vectorTable(rows, 3),
    column: 'emb',
    params: { metric: 'cosine' },
  });
  const ids = await host.openIndex({
    name: 'ids',
    key: 'ordered',
    source: new Table({ id: vectorFromArray([7, 3, 7, null, 1, 3], new Int32()) }),
    column: 'id',
  });
  const nearest = queryBatch(
    [
      [1, 0.5, 0],
      [0, 0, 2],
    ],
    3,
  );
  const lookup = equalityBatch(new Int32(), [7, 3, 2]);
  const before = { knn: knnArrays(await vectors.probe(nearest, 3)), ids: matchArrays(await ids.probe(lookup, 5)) };
  expect(before.ids).toEqual({ query: [0, 0, 1, 1], row: [0, 2, 1, 5] });

  const result = await host.reload(searchPlugin('2.0.0'));
  expect(result.handoffs.map((h) => `${h.kind}:${h.name}`).sort()).toEqual(['indexKind:docs', 'indexKind:ids']);
  // Both kinds were handed over by reference before the pause: no bytes persisted, nothing copied.
  expect(result.handoffs.map((h) => h.detail['byReference'])).toEqual([true, true]);
  expect(result.timings.prepareMs).toBeGreaterThan(0);
  expect([vectors.version, ids.version]).toEqual(['2.0.0', '2.0.0']);
  expect(knnArrays(await vectors.probe(nearest, 3))).toEqual(before.knn);
  expect(matchArrays(await ids.probe(lookup, 5))).toEqual(before.ids);
  await result.retired;
});
