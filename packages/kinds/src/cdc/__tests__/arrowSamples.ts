/** Arrow batches of many column types, for the sink payload tests. */
import {
  Binary,
  Bool,
  DateDay,
  Decimal,
  DenseUnion,
  Dictionary,
  DurationMillisecond,
  Field,
  FixedSizeBinary,
  FixedSizeList,
  Float16,
  Float32,
  Float64,
  Int32,
  Int64,
  IntervalYearMonth,
  LargeList,
  LargeUtf8,
  List,
  makeBuilder,
  makeVector,
  Map_,
  Null,
  SparseUnion,
  Struct,
  Table,
  TimeMillisecond,
  TimestampMillisecond,
  Uint8,
  Utf8,
  Utf8View,
  vectorFromArray,
} from 'apache-arrow';
import type { DataType, RecordBatch, Vector } from 'apache-arrow';

const field = (name: string, type: DataType): Field => new Field(name, type, true);

function union(type: SparseUnion | DenseUnion, values: readonly (number | string)[]): Vector {
  const builder = makeBuilder({
    type,
    nullValues: [],
    valueToChildTypeId: (_builder: unknown, value: unknown) => (typeof value === 'number' ? 0 : 1),
  } as never);
  for (const value of values) builder.append(value);
  return makeVector(builder.finish().flush());
}

/** One batch of three rows with a column of (almost) every type arrow-js writes, nulls included. */
export function allTypesBatch(): RecordBatch {
  const members = [field('n', new Int32()), field('s', new Utf8())];
  const columns: Record<string, Vector> = {
    int: vectorFromArray([1, null, 3], new Int32()),
    int64: vectorFromArray([1n, null, 3n], new Int64()),
    uint8: vectorFromArray([1, null, 3], new Uint8()),
    utf8: vectorFromArray(['a', null, 'ccc'], new Utf8()),
    dict: vectorFromArray(['x', 'y', null], new Dictionary(new Utf8(), new Int32())),
    float64: vectorFromArray([1.5, 2.5, null], new Float64()),
    float16: vectorFromArray([1.5, 2.5, null], new Float16()),
    bool: vectorFromArray([true, null, false], new Bool()),
    list: vectorFromArray([[1, 2], null, []], new List(field('item', new Int32()))),
    largeList: vectorFromArray([[1, 2], null, []], new LargeList(field('item', new Int32()))),
    struct: vectorFromArray(
      [{ a: 1, s: 'x' }, { a: 2, s: null }, null],
      new Struct([field('a', new Int32()), field('s', new Utf8())]),
    ),
    fixedList: vectorFromArray([[1, 2], [3, 4], null], new FixedSizeList(2, field('v', new Float32()))),
    timestamp: vectorFromArray([1, 2, null], new TimestampMillisecond()),
    date: vectorFromArray([new Date(0), null, new Date(86_400_000)], new DateDay()),
    largeUtf8: vectorFromArray(['p', 'q', null], new LargeUtf8()),
    binary: vectorFromArray([new Uint8Array([1]), null, new Uint8Array([2, 3])], new Binary()),
    fixedBinary: vectorFromArray([new Uint8Array([1, 2]), null, new Uint8Array([3, 4])], new FixedSizeBinary(2)),
    decimal: vectorFromArray(
      [new Uint32Array([1, 0, 0, 0]), null, new Uint32Array([2, 0, 0, 0])],
      new Decimal(2, 10, 128),
    ),
    interval: vectorFromArray([new Int32Array([1]), null, new Int32Array([2])], new IntervalYearMonth()),
    duration: vectorFromArray([1n, null, 2n], new DurationMillisecond()),
    time: vectorFromArray([1, null, 2], new TimeMillisecond()),
    null: vectorFromArray([null, null, null], new Null()),
    map: vectorFromArray(
      [new Map([['k', 1]]), null, new Map<string, number>()],
      new Map_(
        new Field(
          'entries',
          new Struct<{ key: Utf8; value: Int32 }>([
            new Field('key', new Utf8(), false),
            new Field('value', new Int32(), true),
          ]),
        ),
      ),
    ),
    sparse: union(new SparseUnion([0, 1], members), [1, 'a', 2]),
    dense: union(new DenseUnion([0, 1], members), [1, 'a', 'bb']),
    view: vectorFromArray(['short', null, 'a string longer than twelve bytes'], new Utf8View()),
  };
  return new Table(columns).batches[0]!;
}

/** Every value of a batch, as plain JSON-able data (reads every row of every column). */
export function materialize(batch: RecordBatch): unknown[] {
  return batch
    .toArray()
    .map(
      (row) =>
        JSON.parse(
          JSON.stringify((row as { toJSON(): unknown }).toJSON(), (_, v: unknown) =>
            typeof v === 'bigint'
              ? `${v}n`
              : v instanceof Uint8Array || ArrayBuffer.isView(v)
                ? Array.from(v as Uint8Array)
                : v,
          ),
        ) as unknown,
    );
}
