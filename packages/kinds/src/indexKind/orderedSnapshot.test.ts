import type { IndexSnapshot } from '@baton/core';
import { fc, test } from '@fast-check/vitest';
import {
  DateDay,
  DateMillisecond,
  Float32,
  Int8,
  Int16,
  Table,
  TimestampMicrosecond,
  TimestampNanosecond,
  TimestampSecond,
  Uint16,
  Uint32,
  Uint64,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import type { DataType } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { typeName } from './indexErrors.js';
import { orderedIndex } from './orderedIndex.js';
import { equalityBatch, keyCase, keySpecs, keyTable, matchArrays, rangeBatch } from './__tests__/keyData.js';

const refused = (message: string): Error =>
  expect.objectContaining({
    code: 'INVALID_ARGUMENT',
    kind: 'indexKind',
    key: 'ordered',
    step: 'adopt',
    message: expect.stringContaining(message) as string,
  }) as Error;

describe.each(keySpecs)('ordered index over $name keys: snapshot → adopt', (spec) => {
  test.prop([keyCase(spec, 120), fc.integer({ min: 1, max: 130 }), fc.boolean()], { numRuns: 25 })(
    'the adopted handle shares the memory, answers and persists as the old one, and outlives its close',
    (data, k, reopened) => {
      const built = orderedIndex().build(keyTable(spec, data.keys), { column: 'k' });
      const old = reopened ? orderedIndex().open(built.persist()) : built;
      const queries = [rangeBatch(spec.boundType(), data.ranges), equalityBatch(spec.boundType(), data.equals)];
      const answers = queries.map((query) => matchArrays(old.probe(query, k)));
      const bytes = old.persist();
      const snapshot = old.snapshot();
      const adopted = orderedIndex().adopt(snapshot)!;
      expect(adopted.rowIds).toBe(old.rowIds); // the same memory, not a copy
      expect(snapshot.buffers.every((view, i) => adopted.snapshot().buffers[i] === view)).toBe(true);
      expect(typeName(adopted.keyType)).toBe(typeName(old.keyType));
      expect(adopted.persist()).toEqual(bytes);
      old.close();
      expect(queries.map((query) => matchArrays(adopted.probe(query, k)))).toEqual(answers);
      expect(adopted.persist()).toEqual(bytes);
    },
  );
});

describe('ordered index snapshots', () => {
  const types: readonly (readonly [DataType, unknown[]])[] = [
    [new Int8(), [3, -1, 3]],
    [new Int16(), [300, -1]],
    [new Uint16(), [7, 1]],
    [new Uint32(), [2 ** 32 - 1, 0]],
    [new Uint64(), [2n ** 64n - 1n, 0n]],
    [new Float32(), [1.5, -0.5]],
    [new DateDay(), [new Date(86400000 * 3), new Date(0)]],
    [new DateMillisecond(), [new Date(5), new Date(2)]],
    [new TimestampSecond(), [5000, 1000]],
    [new TimestampMicrosecond('Europe/Paris'), [5, 1]],
    [new TimestampNanosecond('UTC'), [5, 1]],
    [new Utf8(), ['b', 'a', '']],
  ];
  it.each(types)('names %s as plain text and rebuilds the same type (same persisted bytes)', (type, keys) => {
    const old = orderedIndex().build(new Table({ k: vectorFromArray(keys, type) }), { column: 'k' });
    const snapshot = old.snapshot();
    expect(JSON.parse(JSON.stringify(snapshot.meta))).toEqual(snapshot.meta);
    const adopted = orderedIndex().adopt(snapshot)!;
    expect(typeName(adopted.keyType)).toBe(typeName(type));
    expect(adopted.persist()).toEqual(old.persist());
  });

  const ints = orderedIndex().build(new Table({ k: vectorFromArray([3, 1, 2], new Int16()) }), { column: 'k' });
  const valid = ints.snapshot();
  const texts = orderedIndex().build(new Table({ k: vectorFromArray(['b', 'a'], new Utf8()) }), { column: 'k' });
  const text = texts.snapshot();
  const [offsets, bytes, rowIds] = text.buffers as [Int32Array, Uint8Array, Uint32Array];
  const withMeta = (base: IndexSnapshot, meta: Record<string, unknown>, buffers = base.buffers): IndexSnapshot => ({
    ...base,
    meta: { ...base.meta, ...meta },
    buffers,
    byteLength: buffers.reduce((sum, view) => sum + view.byteLength, 0),
  });
  const cases: readonly (readonly [string, IndexSnapshot, string])[] = [
    ['another kind', { ...valid, kind: 'flat-vector' }, 'made by kind "flat-vector"'],
    ['an unknown key type', withMeta(valid, { keyType: 'int128' }), 'meta.keyType "int128" is not a key type'],
    ['a zone on a non-timestamp', withMeta(valid, { timezone: 'UTC' }), 'meta.timezone must be null, not "UTC"'],
    ['count fractional', withMeta(valid, { count: 2.5 }), 'meta.count must be an integer in 0..2147483647'],
    ['crc32 negative', withMeta(valid, { crc32: -1 }), 'meta.crc32 must be an integer'],
    [
      'a count the keys do not hold',
      withMeta(valid, { count: 2 }),
      'buffers[1] (row ids) must be a Uint32Array of 2, not a Uint32Array of 3',
    ],
    ['keys of another type', withMeta(valid, { keyType: 'int32' }), 'must be a Int32Array of 3, not a Int16Array'],
    ['a buffer missing', withMeta(valid, {}, [valid.buffers[0]!]), 'a int16 index has 2 buffers, not 1'],
    ['Int32 row ids', withMeta(valid, {}, [valid.buffers[0]!, Int32Array.of(0, 1, 2)]), 'must be a Uint32Array of 3'],
    ['offsets not from 0', withMeta(text, {}, [Int32Array.of(1, 1, 2), bytes, rowIds]), 'the offsets run from 1 to 2'],
    [
      'offsets past the bytes',
      withMeta(text, {}, [offsets, bytes.subarray(1), rowIds]),
      'not from 0 to the 1 key bytes',
    ],
    ['Uint32 offsets', withMeta(text, {}, [Uint32Array.from(offsets), bytes, rowIds]), 'must be a Int32Array of 3'],
  ];
  it.each(cases)('refuses a malformed snapshot: %s', (_, snapshot, message) => {
    expect(() => orderedIndex().adopt(snapshot)).toThrow(refused(message));
  });

  it('applies the data limit, answers undefined for another ordered layout, and honours abort and close', () => {
    expect(() => orderedIndex({ maxBytes: valid.byteLength - 1 }).adopt(valid)).toThrow(refused('over the limit'));
    expect(orderedIndex({ maxBytes: valid.byteLength }).adopt(valid)?.size).toBe(3);
    expect(orderedIndex().adopt({ ...valid, layout: 'ordered/2', meta: {} })).toBeUndefined();
    const controller = new AbortController();
    controller.abort();
    const aborted = (step: string): Error =>
      expect.objectContaining({ code: 'ABORTED', key: 'ordered', step }) as Error;
    expect(() => ints.snapshot({ signal: controller.signal })).toThrow(aborted('snapshot'));
    expect(() => orderedIndex().adopt(valid, { signal: controller.signal })).toThrow(aborted('adopt'));
    texts.close();
    expect(() => texts.snapshot()).toThrow(expect.objectContaining({ code: 'RESOURCE_CLOSED' }));
    expect(
      matchArrays(
        orderedIndex()
          .adopt(text)!
          .probe(equalityBatch(new Utf8(), ['a']), 1),
      ),
    ).toEqual({
      query: [0],
      row: [1],
    });
  });
});
