import type { IndexSnapshot } from '@baton/core';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { flatVectorIndex } from './flatVectorIndex.js';
import { vectorMetrics } from './vectorMetric.js';
import { knnArrays, queryBatch, vectorCase, vectorTable } from './__tests__/vectorData.js';

const format = fc.constantFrom<1 | 2>(1, 2);

describe('flat vector index: snapshot → adopt', () => {
  test.prop(
    [
      vectorCase(60),
      fc.constantFrom(...vectorMetrics),
      fc.record({ from: format, to: format, dense: fc.boolean(), reopened: fc.boolean(), warm: fc.boolean() }),
      fc.integer({ min: 1, max: 70 }),
    ],
    { numRuns: 80 },
  )(
    'the adopted handle shares the memory, answers and persists as the old one, and outlives its close',
    (data, metric, { from, to, dense, reopened, warm }, k) => {
      const rows = dense ? data.rows.filter((row) => row !== null) : data.rows;
      const oldKind = flatVectorIndex({ format: from });
      const built = oldKind.build(vectorTable(rows, data.dim), { column: 'emb', params: { metric } });
      const old = reopened ? oldKind.open(built.persist()) : built;
      const query = queryBatch(data.queries, data.dim);
      // A warm handle has answered a probe (a cosine one computed its norms) before the snapshot.
      let answers = warm ? knnArrays(old.probe(query, k)) : undefined;
      const oldBytes = old.persist();
      const snapshot = old.snapshot();
      answers ??= knnArrays(old.probe(query, k));
      expect(snapshot.byteLength).toBe(snapshot.buffers.reduce((sum, view) => sum + view.byteLength, 0));
      const newKind = flatVectorIndex({ format: to });
      const adopted = newKind.adopt(snapshot)!;
      // No copy: the same memory, not equal memory.
      expect(adopted.vectors).toBe(old.vectors);
      expect(adopted.vectors.buffer).toBe(old.vectors.buffer);
      expect(adopted.rowIds).toBe(old.rowIds);
      expect(adopted.rowIds === undefined).toBe(old.rowIds === undefined);
      // Norms a cosine probe computed travel with the snapshot (and only then).
      const norms = adopted.snapshot().buffers.find((view) => view instanceof Float64Array);
      expect(norms).toBe(snapshot.buffers.find((view) => view instanceof Float64Array));
      expect(norms !== undefined).toBe(warm && metric === 'cosine' && old.size > 0);
      expect(knnArrays(adopted.probe(query, k))).toEqual(answers);
      const adoptedBytes = adopted.persist();
      expect(adoptedBytes).toEqual(newKind.open(oldBytes).persist());
      if (from === to) expect(adoptedBytes).toEqual(oldBytes);
      old.close();
      expect(() => old.probe(query, k)).toThrow(expect.objectContaining({ code: 'RESOURCE_CLOSED' }));
      expect(knnArrays(adopted.probe(query, k))).toEqual(answers);
      expect(adopted.persist()).toEqual(adoptedBytes);
    },
  );

  it('adopts a snapshot made of plain data alone (another copy of the kind: no instanceof, no private fields)', () => {
    const built = flatVectorIndex().build(vectorTable([[1, 0], null, [0, 1], [1, 1]], 2), { column: 'emb' });
    const { crc32, ...rest } = built.snapshot().meta;
    const vectors = Float32Array.from(built.vectors);
    const rowIds = Uint32Array.from(built.rowIds!);
    const handMade: IndexSnapshot = {
      kind: 'flat-vector',
      layout: 'flat-vector/2',
      meta: JSON.parse(JSON.stringify({ ...rest, crc32 })) as Record<string, unknown>,
      buffers: [vectors, rowIds],
      byteLength: vectors.byteLength + rowIds.byteLength,
    };
    const adopted = flatVectorIndex().adopt(handMade)!;
    expect(adopted.vectors).toBe(vectors);
    const query = queryBatch([[0.9, 0.2]], 2);
    expect(knnArrays(adopted.probe(query, 3))).toEqual(knnArrays(built.probe(query, 3)));
    expect(adopted.persist()).toEqual(built.persist());
  });

  it('answers undefined for a flat-vector layout it does not read, so the host persists and opens', () => {
    const snapshot = flatVectorIndex()
      .build(vectorTable([[1]], 1), { column: 'emb' })
      .snapshot();
    for (const layout of ['flat-vector/3', 'flat-vector/1', 'ordered/1', ''])
      expect(flatVectorIndex().adopt({ ...snapshot, layout, meta: { whatever: true }, buffers: [] })).toBeUndefined();
  });

  it('honours an aborted signal on snapshot and adopt, and refuses a closed handle', () => {
    const handle = flatVectorIndex().build(vectorTable([[1, 2]], 2), { column: 'emb' });
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    const aborted = (step: string): Error =>
      expect.objectContaining({ code: 'ABORTED', key: 'flat-vector', step, cause: controller.signal.reason }) as Error;
    expect(() => handle.snapshot({ signal: controller.signal })).toThrow(aborted('snapshot'));
    const snapshot = handle.snapshot();
    expect(() => flatVectorIndex().adopt(snapshot, { signal: controller.signal })).toThrow(aborted('adopt'));
    handle.close();
    expect(() => handle.snapshot()).toThrow(expect.objectContaining({ code: 'RESOURCE_CLOSED', step: 'snapshot' }));
    // The snapshot taken before the close still adopts: close dropped only the handle's references.
    expect(flatVectorIndex().adopt(snapshot)!.size).toBe(1);
  });
});
