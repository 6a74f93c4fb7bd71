import { FixedSizeList, Field, Float32, makeData, RecordBatch, Schema, Struct, Table } from 'apache-arrow';
import { flatVectorIndexKind } from '@baton/kinds';
const dim = 128, rows = 524288;
const vec = new Float32Array(dim * rows);
for (let i = 0; i < vec.length; i++) vec[i] = Math.random();
const item = new Field('item', new Float32(), false);
const listType = new FixedSizeList(dim, item);
const child = makeData({ type: new Float32(), length: rows * dim, nullCount: 0, data: vec });
const col = makeData({ type: listType, length: rows, nullCount: 0, child });
const schema = new Schema([new Field('embedding', listType, false)]);
const batch = new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: rows, nullCount: 0, children: [col] }));
let t = performance.now();
const idx = flatVectorIndexKind().build(new Table([batch]), { column: 'embedding' });
console.log('build', performance.now() - t);
for (let r = 0; r < 5; r++) {
  t = performance.now();
  const bytes = idx.persist();
  const t1 = performance.now();
  const reopened = flatVectorIndexKind().open(bytes);
  const t2 = performance.now();
  const copy = new Uint8Array(idx.vectors.buffer.slice(0)); // slice
  const t3 = performance.now();
  const copy2 = Buffer.from(bytes);
  const t4 = performance.now();
  const copy3 = new Uint8Array(bytes);
  const t5 = performance.now();
  console.log({ persist: t1 - t, open: t2 - t1, slice: t3 - t2, bufferFrom: t4 - t3, newU8: t5 - t4, bytes: bytes.byteLength, r: reopened.size, c: copy.length + copy2.length + copy3.length });
}
