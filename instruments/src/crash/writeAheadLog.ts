import { open, readFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { pack, unpack } from '@baton/kinds/codec';

const HEADER = 8; // payload length (u32) + CRC-32 of the payload (u32)
const MAX_RECORD = 16 * 1024 * 1024;

/** One record of the log: its sequence number and its fields. */
export interface LogRecord {
  readonly seq: number;
  readonly fields: readonly unknown[];
}

/**
 * The engine's write-ahead log: an append-only file of checksummed msgpack records, each made
 * durable (fdatasync) before `append` resolves. A write is committed once its record is durable.
 * Opening reads every whole record and cuts off a torn or corrupt tail (a crash mid-append).
 */
export class WriteAheadLog {
  #file: FileHandle;
  #seq: number;
  #tail: Promise<unknown> = Promise.resolve();

  private constructor(file: FileHandle, seq: number) {
    this.#file = file;
    this.#seq = seq;
  }

  /** Opens (or creates) the log and returns it with its committed records. */
  static async open(path: string): Promise<{ log: WriteAheadLog; records: LogRecord[]; cutBytes: number }> {
    let bytes: Uint8Array = new Uint8Array(0);
    try {
      bytes = new Uint8Array(await readFile(path));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const records: LogRecord[] = [];
    let offset = 0;
    while (offset + HEADER <= bytes.length) {
      const view = new DataView(bytes.buffer, bytes.byteOffset + offset, HEADER);
      const length = view.getUint32(0, true);
      if (length > MAX_RECORD || offset + HEADER + length > bytes.length) break;
      const payload = bytes.subarray(offset + HEADER, offset + HEADER + length);
      if (crc32(payload) !== view.getUint32(4, true)) break;
      const decoded = unpack(payload);
      if (!Array.isArray(decoded) || typeof decoded[0] !== 'number' || decoded[0] !== (records.at(-1)?.seq ?? 0) + 1)
        break;
      records.push({ seq: decoded[0], fields: decoded.slice(1) });
      offset += HEADER + length;
    }
    const file = await open(path, 'a+');
    if (offset < bytes.length) {
      await file.truncate(offset);
      await file.datasync();
    }
    return { log: new WriteAheadLog(file, records.at(-1)?.seq ?? 0), records, cutBytes: bytes.length - offset };
  }

  /** The last sequence number written. */
  get seq(): number {
    return this.#seq;
  }

  /** Appends one record durably; resolves with its sequence number. Appends are serialized. */
  append(...fields: unknown[]): Promise<number> {
    const seq = ++this.#seq;
    const payload = pack([seq, ...fields]);
    const record = new Uint8Array(HEADER + payload.byteLength);
    const view = new DataView(record.buffer);
    view.setUint32(0, payload.byteLength, true);
    view.setUint32(4, crc32(payload), true);
    record.set(payload, HEADER);
    const write = this.#tail.then(async () => {
      await this.#file.write(record);
      await this.#file.datasync();
      return seq;
    });
    this.#tail = write.catch(() => undefined);
    return write;
  }

  close(): Promise<void> {
    return this.#tail.then(() => this.#file.close());
  }
}
