/** The index-kind exports of @baton/kinds and their methods, as rows of the wrong-argument table. */
import { tableFromArrays } from 'apache-arrow';
import type { ArgumentRow } from '../../codec/__tests__/wrongArguments.js';
import { BYTES } from '../../codec/__tests__/wrongArguments.js';
import { FlatVectorIndexHandle, flatVectorIndex, OrderedIndexHandle, orderedIndex } from '../../index.js';
import { keyFamily, sortKeys } from '../orderedKeys.js';
import { queryBatch, vectorTable } from './vectorData.js';

const vectors = vectorTable(
  [
    [1, 0],
    [0, 1],
  ],
  2,
);
const flat = flatVectorIndex();
const flatIndex = (): FlatVectorIndexHandle => flat.build(vectors, { column: 'emb', params: { metric: 'l2' } });
const keys = tableFromArrays({ k: Int32Array.from([3, 1, 2]) });
const ordered = orderedIndex();
const orderedHandle = (): OrderedIndexHandle => ordered.build(keys, { column: 'k' });
const keyQuery = tableFromArrays({ key: Int32Array.from([2]) }).batches[0]!;

/** The state a flat vector index is made of (what its provider passes the constructor). */
const flatState = {
  metric: 'l2',
  dim: 1,
  count: 1,
  vectors: Float32Array.of(1),
  rowIds: undefined,
  crc32: 0,
  maxProbeResults: 10,
};

export const indexArgumentRows: readonly ArgumentRow[] = [
  {
    name: 'flatVectorIndex',
    args: [{ maxBytes: 1 << 20, maxProbeResults: 100, verifyChecksum: true, format: 2 }],
    call: (options) => flatVectorIndex(options as never),
  },
  {
    name: 'orderedIndex',
    args: [{ maxBytes: 1 << 20, maxProbeResults: 100, verifyChecksum: false }],
    call: (options) => orderedIndex(options as never),
  },
  {
    name: 'flatVectorIndex().build',
    args: [vectors, { column: 'emb', params: { metric: 'cosine' } }],
    call: (source, options) => flat.build(source as never, options as never),
  },
  {
    name: 'flatVectorIndex().open',
    args: [flatIndex().persist(), {}],
    codes: [BYTES],
    call: (bytes, options) => flat.open(bytes as Uint8Array, options as never),
  },
  {
    name: 'FlatVectorIndexHandle.probe',
    args: [queryBatch([[1, 0]], 2), 1],
    call: (query, k) => flatIndex().probe(query as never, k as number),
  },
  { name: 'FlatVectorIndexHandle.persist', args: [{}], call: (options) => flatIndex().persist(options as never) },
  { name: 'FlatVectorIndexHandle.snapshot', args: [{}], call: (options) => flatIndex().snapshot(options as never) },
  {
    name: 'flatVectorIndex().adopt',
    args: [flatIndex().snapshot(), {}],
    call: (snapshot, options) => flat.adopt(snapshot as never, options as never),
  },
  {
    name: 'new FlatVectorIndexHandle',
    args: [flatState],
    call: (state) => FlatVectorIndexHandle.create(state as never).persist(),
  },
  {
    name: 'orderedIndex().build',
    args: [keys, { column: 'k' }],
    call: (source, options) => ordered.build(source as never, options as never),
  },
  {
    name: 'orderedIndex().open',
    args: [orderedHandle().persist(), {}],
    codes: [BYTES],
    call: (bytes, options) => ordered.open(bytes as Uint8Array, options as never),
  },
  {
    name: 'OrderedIndexHandle.probe',
    args: [keyQuery, 5],
    call: (query, k) => orderedHandle().probe(query as never, k as number),
  },
  { name: 'OrderedIndexHandle.persist', args: [{}], call: (options) => orderedHandle().persist(options as never) },
  { name: 'OrderedIndexHandle.snapshot', args: [{}], call: (options) => orderedHandle().snapshot(options as never) },
  {
    name: 'orderedIndex().adopt',
    args: [orderedHandle().snapshot(), {}],
    call: (snapshot, options) => ordered.adopt(snapshot as never, options as never),
  },
  {
    name: 'new OrderedIndexHandle',
    args: [{ keys: sortKeys(keys.getChild('k')!, keyFamily(keys.getChild('k')!.type)!), crc32: 0, maxProbeResults: 1 }],
    call: (state) => OrderedIndexHandle.create(state as never).size,
  },
];
