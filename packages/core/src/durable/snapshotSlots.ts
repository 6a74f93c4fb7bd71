import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ReloadError } from '../errors/reloadError.js';
import { readChecked, writeChecked } from './atomicFile.js';

/** A snapshot read back: its payload and its generation. */
export interface Snapshot {
  readonly payload: Uint8Array;
  /** Increases with every write of this snapshot. */
  readonly generation: number;
}

/** Options of {@link SnapshotSlots}. */
export interface SnapshotSlotsOptions {
  /** Refuse slots larger than this many bytes (default 256 MiB). */
  readonly maxBytes?: number;
}

/**
 * A durable snapshot kept in two slots (`name.a`, `name.b`), written alternately, each atomically
 * (temp file, fsync, rename, directory fsync) and checksummed with its generation. A crash while
 * writing leaves the other slot intact, and a torn or corrupt slot is detected: reading returns the
 * newest good slot, so the previous good snapshot is used when the latest is damaged.
 */
export class SnapshotSlots {
  #generation: number | undefined;

  constructor(
    readonly directory: string,
    readonly name: string,
    private readonly options: SnapshotSlotsOptions = {},
  ) {
    if (!/^[A-Za-z0-9._-]+$/.test(name))
      throw new ReloadError({
        code: 'INVALID_ARGUMENT',
        message: `snapshot name '${name}' may use letters, digits, '.', '_' and '-' only`,
      });
  }

  /**
   * The newest good snapshot, or undefined when there is none. A damaged slot is skipped; when every
   * slot that exists is damaged, rejects with `CORRUPT_INPUT` naming the problems.
   */
  async read(): Promise<Snapshot | undefined> {
    const found: Snapshot[] = [];
    const problems: string[] = [];
    for (const slot of ['a', 'b']) {
      try {
        const framed = await readChecked(
          this.#path(slot),
          this.options.maxBytes === undefined ? {} : { maxBytes: this.options.maxBytes + 8 },
        );
        if (framed === undefined) continue;
        if (framed.byteLength < 8)
          throw new ReloadError({
            code: 'CORRUPT_INPUT',
            phase: 'decode',
            message: `${this.#path(slot)}: no generation`,
          });
        const generation = Number(new DataView(framed.buffer, framed.byteOffset).getBigUint64(0, true));
        found.push({ generation, payload: framed.subarray(8) });
      } catch (error) {
        problems.push(error instanceof Error ? error.message : String(error));
      }
    }
    found.sort((x, y) => y.generation - x.generation);
    const newest = found[0];
    if (!newest && problems.length > 0) {
      throw new ReloadError({
        code: 'CORRUPT_INPUT',
        phase: 'decode',
        key: this.name,
        message: `snapshot '${this.name}': no good slot (${problems.join('; ')})`,
      });
    }
    this.#generation = newest?.generation ?? 0;
    return newest;
  }

  /** Writes a new generation into the slot not holding the newest one. */
  async write(payload: Uint8Array): Promise<number> {
    if (this.#generation === undefined) await this.read().catch(() => (this.#generation = 0));
    const generation = (this.#generation ?? 0) + 1;
    const framed = new Uint8Array(8 + payload.byteLength);
    new DataView(framed.buffer).setBigUint64(0, BigInt(generation), true);
    framed.set(payload, 8);
    await mkdir(this.directory, { recursive: true });
    await writeChecked(this.#path(generation % 2 === 1 ? 'a' : 'b'), framed);
    this.#generation = generation;
    return generation;
  }

  #path(slot: string): string {
    return join(this.directory, `${this.name}.${slot}`);
  }
}
