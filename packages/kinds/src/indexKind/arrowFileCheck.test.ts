import { fc, test } from '@fast-check/vitest';
import { Int32, Table, Utf8, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { isReloadError } from '@baton/core';
import { flatVectorIndex } from './flatVectorIndex.js';
import { orderedIndex } from './orderedIndex.js';
import { patchIndex, reframe } from './__tests__/arrowPatch.js';
import type { IndexParts } from './__tests__/arrowPatch.js';
import { vectorTable } from './__tests__/vectorData.js';

const flat = flatVectorIndex({ format: 1 });
const vectors = flat
  .build(
    vectorTable(
      Array.from({ length: 16 }, (_, i) => [i, -i, i / 2]),
      3,
    ),
    { column: 'emb' },
  )
  .persist();
const keys = orderedIndex()
  .build(new Table({ k: vectorFromArray(['b', 'a', 'c', 'a'], new Utf8()) }), { column: 'k' })
  .persist();
const ints = orderedIndex()
  .build(new Table({ k: vectorFromArray([5, 1, 3], new Int32()) }), { column: 'k' })
  .persist();

const openFlat = (bytes: Uint8Array) => flatVectorIndex().open(bytes);
const openOrdered = (bytes: Uint8Array) => orderedIndex().open(bytes);
const refused = (open: () => unknown, message: string) => {
  expect(open).toThrow(
    expect.objectContaining({
      code: 'CORRUPT_INPUT',
      message: expect.stringContaining(`Arrow metadata: ${message}`) as string,
    }) as Error,
  );
};

/** Sets the int64 at field `field` of element `n` of the vector field `vector` of the record batch. */
const setBatchVector =
  (vector: number, n: number, at: number, value: bigint) =>
  ({ message, batch }: IndexParts): void => {
    const start = message.deref(message.field(batch, vector)) + 4;
    message.view.setBigInt64(start + 16 * n + at, value, true);
  };

describe('Arrow index files are checked on the bytes before Arrow reads them', () => {
  it('opens what persist wrote, of every layout', () => {
    expect(openFlat(vectors).size).toBe(16);
    expect(openOrdered(keys).size).toBe(4);
    expect(openOrdered(ints).size).toBe(3);
  });

  it('refuses declared sizes the bytes cannot hold: rows, nodes, buffers', () => {
    const rows = ({ message, batch }: IndexParts) => {
      message.view.setBigInt64(message.field(batch, 0), 2n ** 33n, true);
    };
    refused(() => openFlat(patchIndex(vectors, rows)), '8589934592 rows cannot be held by a');
    refused(
      () => openOrdered(patchIndex(keys, setBatchVector(1, 0, 0, 3n))),
      'column 0 has 3 values in a batch of 4 rows',
    );
    refused(() => openOrdered(patchIndex(ints, setBatchVector(1, 1, 8, 9n))), 'node 1 declares 3 values (9 null)');
    refused(() => openOrdered(patchIndex(ints, setBatchVector(2, 1, 0, 2n ** 40n))), 'buffer 1 (1099511627776+');
    const nodes = ({ message, batch }: IndexParts) => {
      message.view.setInt32(message.deref(message.field(batch, 1)), 2 ** 31 - 1, true);
    };
    refused(() => openOrdered(patchIndex(ints, nodes)), 'field nodes: 2147483647 items (at most 2 expected)');
  });

  it('refuses structures no index holds: many fields, other versions, a second batch', () => {
    const fields = ({ footer }: IndexParts) => {
      const schema = footer.deref(footer.field(footer.root(), 1));
      footer.view.setInt32(footer.deref(footer.field(schema, 1)), 2 ** 31 - 1, true);
    };
    refused(() => openFlat(patchIndex(vectors, fields)), 'fields: 2147483647 items (at most 4 expected)');
    const version = ({ footer }: IndexParts) => {
      footer.view.setUint16(footer.field(footer.root(), 0), 1, true);
    };
    refused(() => openFlat(patchIndex(vectors, version)), 'footer metadata version 1 is not V4 or V5');
    const batches = ({ footer }: IndexParts) => {
      footer.view.setInt32(footer.deref(footer.field(footer.root(), 3)), 2, true);
    };
    refused(() => openFlat(patchIndex(vectors, batches)), 'record batches: 2 items (at most 1 expected)');
    const footerLength = ({ ipc }: IndexParts) => {
      new DataView(ipc.buffer, ipc.byteOffset).setInt32(ipc.length - 10, ipc.length, true);
    };
    refused(() => openFlat(patchIndex(vectors, footerLength)), 'bad footer length');
  });

  test.prop([fc.constantFrom(vectors, keys, ints), fc.nat(), fc.integer({ min: 1, max: 255 })])(
    'any byte of the metadata changed (checksum fixed up) opens or is CORRUPT_INPUT, never another error',
    (bytes, at, xor) => {
      const out = patchIndex(bytes, ({ footer, message }) => {
        const part = at % 2 === 0 ? footer.bytes : message.bytes;
        part[(at >> 1) % part.length]! ^= xor;
      });
      try {
        (bytes === vectors ? openFlat : openOrdered)(reframe(out));
      } catch (error) {
        expect(isReloadError(error) && error.code === 'CORRUPT_INPUT', String(error)).toBe(true);
      }
    },
  );
});
