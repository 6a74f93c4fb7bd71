import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { TopK } from './topK.js';

const pair = fc.record({ d: fc.constantFrom(0, 1, 2, 2.5, Infinity, -Infinity, -1), row: fc.nat({ max: 50 }) });

test.prop([fc.array(pair, { maxLength: 200 }), fc.integer({ min: 0, max: 40 }), fc.nat({ max: 8 })])(
  'keeps the k smallest (distance, row) pairs in ascending order, across reuse',
  (pairs, k, offset) => {
    const top = new TopK(k);
    for (let round = 0; round < 2; round++) {
      for (const { d, row } of pairs) top.offer(d, row);
      expect(top.size).toBe(Math.min(k, pairs.length));
      const rows = new Int32Array(offset + k);
      const distances = new Float32Array(offset + k);
      const count = top.drainSorted(rows, distances, offset);
      const want = [...pairs].sort((a, b) => a.d - b.d || a.row - b.row).slice(0, k);
      expect(count).toBe(want.length);
      expect(Array.from(rows.subarray(offset, offset + count))).toEqual(want.map((p) => p.row));
      expect(Array.from(distances.subarray(offset, offset + count))).toEqual(want.map((p) => p.d));
      expect(top.size).toBe(0);
    }
  },
);
