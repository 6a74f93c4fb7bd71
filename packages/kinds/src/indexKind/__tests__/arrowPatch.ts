import { crc32 } from 'node:zlib';

/** Reads and writes FlatBuffers tables of a buffer without checks (the buffers are ours, from a real index). */
export class Flat {
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

/** The parts of a persisted format-1 index (a BTIX frame, then an Arrow IPC file). */
export interface IndexParts {
  readonly ipc: Uint8Array;
  readonly footer: Flat;
  readonly message: Flat;
  /** The record batch table within `message`. */
  readonly batch: number;
}

/** Recomputes the checksum of a format-1 index frame (frame bytes 12.. and every IPC byte outside the body). */
export function reframe(bytes: Uint8Array): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const frameLength = view.getUint32(12, true);
  const start = frameLength + Number(view.getBigUint64(16, true));
  const end = start + Number(view.getBigUint64(24, true));
  const head = crc32(bytes.subarray(12, start));
  view.setUint32(8, end === bytes.length ? head : crc32(bytes.subarray(end), head), true);
  return bytes;
}

/** A copy of `bytes` with `patch` applied to its Arrow metadata, the frame checksum recomputed. */
export function patchIndex(bytes: Uint8Array, patch: (parts: IndexParts) => void): Uint8Array {
  const out = bytes.slice();
  const ipc = out.subarray(new DataView(out.buffer).getUint32(12, true));
  const ipcView = new DataView(ipc.buffer, ipc.byteOffset, ipc.byteLength);
  const footerEnd = ipc.length - 10;
  const footer = new Flat(ipc.subarray(footerEnd - ipcView.getInt32(footerEnd, true), footerEnd));
  const blocks = footer.deref(footer.field(footer.root(), 3));
  const offset = Number(footer.view.getBigInt64(blocks + 4, true));
  const length = ipcView.getInt32(offset + 4, true);
  const message = new Flat(ipc.subarray(offset + 8, offset + 8 + length));
  patch({ ipc, footer, message, batch: message.deref(message.field(message.root(), 2)) });
  return reframe(out);
}
