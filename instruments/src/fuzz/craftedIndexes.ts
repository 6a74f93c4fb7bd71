/**
 * Crafted index bytes: a valid format-1 (Arrow IPC) flat-vector or ordered index whose Arrow
 * metadata is patched — a row count of 2^33, a schema of 2^31 fields, 2^31 field nodes — with the
 * frame checksum recomputed, so only the decoders' own checks stand between the input and Arrow.
 */
import { crc32 } from 'node:zlib';
import { flatVectorIndex, orderedIndex } from '@baton/kinds';
import { vectorBatch } from '@baton/testing';
import { tableFromArrays } from 'apache-arrow';
import type { AmplificationInput } from './amplificationInput.js';

/** Reads FlatBuffers tables of a buffer (no checks: the input is ours). */
class Flat {
  readonly view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  root(): number {
    return this.view.getUint32(0, true);
  }
  /** Where field `i` of the table at `pos` is. */
  field(pos: number, i: number): number {
    const vtable = pos - this.view.getInt32(pos, true);
    const offset = this.view.getUint16(vtable + 4 + 2 * i, true);
    if (offset === 0) throw new Error(`field ${i} is absent`);
    return pos + offset;
  }
  /** Follows the offset at `pos`. */
  deref(pos: number): number {
    return pos + this.view.getUint32(pos, true);
  }
}

/** Recomputes the checksum of a format-1 index frame (frame bytes 12.. and every IPC byte outside the body). */
function reframe(bytes: Uint8Array): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const frameLength = view.getUint32(12, true);
  const start = frameLength + Number(view.getBigUint64(16, true));
  const end = start + Number(view.getBigUint64(24, true));
  const head = crc32(bytes.subarray(12, start));
  view.setUint32(8, end === bytes.length ? head : crc32(bytes.subarray(end), head), true);
  return bytes;
}

/** Patches the persisted index `bytes`: `patch` gets the IPC file and its footer and message readers. */
function patchIndex(bytes: Uint8Array, patch: (footer: Flat, message: Flat) => void): Uint8Array {
  const out = bytes.slice();
  const ipc = out.subarray(new DataView(out.buffer).getUint32(12, true));
  const ipcView = new DataView(ipc.buffer, ipc.byteOffset, ipc.byteLength);
  const footerEnd = ipc.length - 10;
  const footer = new Flat(ipc.subarray(footerEnd - ipcView.getInt32(footerEnd, true), footerEnd));
  const blocks = footer.deref(footer.field(footer.root(), 3));
  const offset = Number(footer.view.getBigInt64(blocks + 4, true));
  const length = ipcView.getInt32(offset + 4, true);
  patch(footer, new Flat(ipc.subarray(offset + 8, offset + 8 + length)));
  return reframe(out);
}

/** A format-1 flat-vector index of about `size` bytes (dimension 16). */
const flatV1 = (size: number): Uint8Array =>
  flatVectorIndex({ format: 1 })
    .build(
      vectorBatch(
        'v',
        16,
        Float32Array.from({ length: 16 * Math.max(1, Math.floor(size / 64)) }, (_, i) => Math.cos(i)),
      ),
      {
        column: 'v',
      },
    )
    .persist();

/** An ordered index of Int32 keys of about `size` bytes. */
const ordered = (size: number): Uint8Array =>
  orderedIndex()
    .build(tableFromArrays({ k: Int32Array.from({ length: Math.max(1, Math.floor(size / 8)) }, (_, i) => i) }), {
      column: 'k',
    })
    .persist();

/** The row count of the record batch set to `rows` (Arrow pads every column's null bitmap to it). */
const rowCount = (rows: bigint) => (_: Flat, message: Flat) => {
  const batch = message.deref(message.field(message.root(), 2));
  message.view.setBigInt64(message.field(batch, 0), rows, true);
};

/** The length of the schema's field vector set to `count`. */
const fieldCount = (count: number) => (footer: Flat) => {
  const schema = footer.deref(footer.field(footer.root(), 1));
  footer.view.setInt32(footer.deref(footer.field(schema, 1)), count, true);
};

/** The length of the record batch's node vector set to `count`. */
const nodeCount = (count: number) => (_: Flat, message: Flat) => {
  const batch = message.deref(message.field(message.root(), 2));
  message.view.setInt32(message.deref(message.field(batch, 1)), count, true);
};

const FLAT = 'flat-vector index open';
const ORDERED = 'ordered index open';

/** Crafted index inputs: real indexes of the given size, their declared sizes patched. */
export const craftedIndexInputs: readonly AmplificationInput[] = [
  {
    name: 'Arrow row count 2^33',
    target: FLAT,
    expect: 'error',
    build: (size) => patchIndex(flatV1(size), rowCount(2n ** 33n)),
  },
  {
    name: 'Arrow row count 2^33',
    target: ORDERED,
    expect: 'error',
    build: (size) => patchIndex(ordered(size), rowCount(2n ** 33n)),
  },
  {
    name: 'Arrow schema of 2^31 fields',
    target: FLAT,
    expect: 'error',
    build: (size) => patchIndex(flatV1(size), fieldCount(2 ** 31 - 1)),
  },
  {
    name: 'Arrow batch of 2^31 nodes',
    target: ORDERED,
    expect: 'error',
    build: (size) => patchIndex(ordered(size), nodeCount(2 ** 31 - 1)),
  },
  { name: 'valid: format 1 (Arrow IPC)', target: FLAT, expect: 'value', build: flatV1 },
  {
    name: 'valid: format 2',
    target: FLAT,
    expect: 'value',
    build: (size) =>
      flatVectorIndex()
        .build(
          vectorBatch(
            'v',
            16,
            Float32Array.from({ length: 16 * Math.floor(size / 64) }, (_, i) => Math.cos(i)),
          ),
          {
            column: 'v',
          },
        )
        .persist(),
  },
  { name: 'valid: Int32 keys', target: ORDERED, expect: 'value', build: ordered },
];
