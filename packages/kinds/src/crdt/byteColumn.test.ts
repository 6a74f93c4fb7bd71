import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { ByteColumnBuilder, ByteColumnWriter, itemCount } from './byteColumn.js';
import type { ByteColumn } from './byteColumn.js';

/** The column of `items`, written one after the other. */
function columnOf(items: readonly Uint8Array[]): ByteColumn {
  const writer = new ByteColumnWriter(items.length, 1);
  for (const item of items) {
    writer.reserve(item.length);
    writer.bytes.set(item, writer.at);
    writer.at += item.length;
    writer.endItem();
  }
  return writer.finish();
}

const itemsOf = (column: ByteColumn): Uint8Array[] =>
  Array.from({ length: itemCount(column) }, (_, k) => column.bytes.subarray(column.offsets[k], column.offsets[k + 1]));

const itemArb = fc.uint8Array({ maxLength: 5 });

/** One step of a build: keep previous items [from, from + length), or add an item. */
const stepArb = fc.oneof(
  fc.record({ from: fc.nat(12), length: fc.nat(4) }),
  itemArb.map((item) => ({ item })),
);

describe('byte columns', () => {
  test.prop([fc.array(itemArb, { maxLength: 12 })])('a written column holds its items', (items) => {
    const column = columnOf(items);
    expect(itemsOf(column)).toEqual(items);
    expect(column.offsets[0]).toBe(0);
    expect(column.offsets.at(-1)).toBe(column.bytes.length);
  });

  test.prop([fc.array(itemArb, { maxLength: 12 }), fc.array(stepArb, { maxLength: 8 })])(
    'a built column holds the kept and added items in order',
    (items, steps) => {
      const previous = columnOf(items);
      const builder = new ByteColumnBuilder(previous);
      const expected: Uint8Array[] = [];
      for (const step of steps) {
        if ('item' in step) {
          builder.add(step.item);
          expected.push(step.item);
        } else {
          const from = Math.min(step.from, items.length);
          const to = Math.min(from + step.length, items.length);
          builder.keep(from, to);
          expected.push(...items.slice(from, to));
        }
      }
      const built = builder.build();
      expect(itemsOf(built)).toEqual(expected);
      expect(built.offsets.at(-1)).toBe(built.bytes.length);
    },
  );

  it('returns the previous column itself when it is kept whole', () => {
    const previous = columnOf([new Uint8Array([1]), new Uint8Array([2, 3])]);
    const whole = new ByteColumnBuilder(previous);
    whole.keep(0, 1);
    whole.keep(1, 2);
    expect(whole.build()).toBe(previous);
    const part = new ByteColumnBuilder(previous);
    part.keep(1, 2);
    expect(itemsOf(part.build())).toEqual([new Uint8Array([2, 3])]);
  });

  it('refuses to finish a writer with items missing', () => {
    expect(() => new ByteColumnWriter(2, 4).finish()).toThrow('not every item');
  });
});
