import {
  Field,
  FixedSizeList,
  Float32,
  Int32,
  RecordBatch,
  Schema,
  Utf8,
  makeData,
  vectorFromArray,
} from 'apache-arrow';
import type { Table } from 'apache-arrow';
import { extensionField, logicalTable, vectorOf } from '@baton/kinds';
import type { GeoPoint, LogicalType } from '@baton/kinds';
import type { Random } from './random.js';

/** One row of the `places` table. */
export interface Place {
  readonly id: number;
  readonly name: string;
  readonly location: GeoPoint;
  readonly embedding: Float32Array;
}

const CITIES = [
  'Lisbon',
  'Porto',
  'Nairobi',
  'Osaka',
  'Quito',
  'Tromsø',
  'Hanoi',
  'Perth',
  'Accra',
  'Tallinn',
  'Lima',
  'Dakar',
];

/** Makes `count` random places starting at `firstId`. */
export function randomPlaces(random: Random, firstId: number, count: number, dim: number): Place[] {
  return Array.from({ length: count }, (_, i) => ({
    id: firstId + i,
    name: `${random.pick(CITIES)} ${firstId + i}`,
    location: { lon: random.range(-180, 180), lat: random.range(-90, 90) },
    embedding: random.unitVector(dim),
  }));
}

/** An Arrow FixedSizeList<Float32>[dim] vector from row-major floats. */
function embeddingVector(values: Float32Array, dim: number) {
  const type = new FixedSizeList(dim, new Field('item', new Float32(), false));
  const child = makeData({ type: new Float32(), length: values.length, data: values });
  return makeData({ type, length: values.length / dim, nullCount: 0, child });
}

/**
 * The places as an Arrow table: `id` Int32, `name` Utf8, `location` as the geo point logical type
 * (an extension field, so the column says which encoding wrote it) and `embedding`.
 */
export function placesTable(places: readonly Place[], dim: number, geo: LogicalType<GeoPoint>): Table {
  const flat = new Float32Array(places.length * dim);
  places.forEach((p, i) => {
    flat.set(p.embedding, i * dim);
  });
  const embedding = embeddingVector(flat, dim);
  const schema = new Schema([
    new Field('id', new Int32(), false),
    new Field('name', new Utf8(), false),
    extensionField(geo, 'location', false),
    new Field('embedding', embedding.type, false),
  ]);
  return logicalTable(schema, {
    id: vectorFromArray(Int32Array.from(places, (p) => p.id)),
    name: vectorFromArray(
      places.map((p) => p.name),
      new Utf8(),
    ),
    location: vectorOf(
      geo,
      places.map((p) => p.location),
    ),
    embedding: new RecordBatch({ embedding }).getChild('embedding')!,
  });
}

/** A query batch of vectors in a `vector` column, as flat-vector probes read it. */
export function queryBatch(vectors: readonly Float32Array[], dim: number): RecordBatch {
  const flat = new Float32Array(vectors.length * dim);
  vectors.forEach((v, i) => {
    flat.set(v, i * dim);
  });
  return new RecordBatch({ vector: embeddingVector(flat, dim) });
}
