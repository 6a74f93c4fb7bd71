import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ReloadError } from '../errors/reloadError.js';
import { readChecked, writeChecked } from './atomicFile.js';
import { checkBytesArg, checkIntegerOption, checkOptionsArg, checkPathArg, checkStringArg } from './durableArgs.js';
import { withIo } from './ioError.js';
import { removeStaleTempFiles } from './tempFiles.js';

/** A slot that exists but could not be used: torn, corrupt, or with a generation no writer makes. */
export interface DamagedSlot {
  /** Path of the slot file. */
  readonly path: string;
  /** Why it was skipped (`CORRUPT_INPUT`). */
  readonly error: ReloadError;
}

/** A snapshot read back: its payload, its generation, and the slots that were skipped. */
export interface Snapshot {
  readonly payload: Uint8Array;
  /** Increases by one with every write of this snapshot (1 for the first). */
  readonly generation: number;
  /**
   * Slots that exist but were skipped as damaged. Empty in the normal case; otherwise this snapshot
   * may be older than the last write (a torn write of a newer generation, or a damaged file):
   * log it, or refuse to go on if an older snapshot is not acceptable to you.
   */
  readonly damaged: readonly DamagedSlot[];
}

/** Options of {@link SnapshotSlots}. */
export interface SnapshotSlotsOptions {
  /** Refuse slots larger than this many bytes (default 256 MiB). */
  readonly maxBytes?: number;
}

type Slot = 'a' | 'b';
const SLOTS: readonly Slot[] = ['a', 'b'];
const GENERATION_BYTES = 8;
/** The largest generation: 2^53 - 1 writes (never reached); a slot claiming more is damaged. */
const MAX_GENERATION = BigInt(Number.MAX_SAFE_INTEGER);

interface Found {
  readonly slot: Slot;
  readonly generation: number;
  readonly payload: Uint8Array;
}

/**
 * A durable snapshot kept in two slots (`name.a`, `name.b`), each written atomically (temp file,
 * fsync, rename, directory fsync) and checksummed with its generation. A write goes to the slot
 * not holding the newest good snapshot, so a crash while writing leaves that one intact, and a torn
 * or corrupt slot is detected: {@link read} returns the newest good slot and lists the damaged ones
 * in `damaged`, so a fallback to an older snapshot is never silent.
 *
 * Generations are unsigned 64-bit on disk; one above 2^53 - 1 (no writer gets there) or 0 marks
 * the slot damaged, so a crafted huge generation cannot hide later writes. File-system failures
 * are `IO_FAILED` (never a fallback), and so is a slot path holding anything but a regular file (a
 * FIFO, a device, a symbolic link: never opened in a way that blocks, see `readChecked`); stale
 * temp files of killed writes are removed on first use.
 */
export class SnapshotSlots {
  /** The newest good snapshot's slot and generation (undefined until read or written). */
  #newest: { readonly slot: Slot | undefined; readonly generation: number } | undefined;
  #cleaned = false;

  readonly #options: SnapshotSlotsOptions;

  /**
   * Slots `<directory>/<name>.a` and `.b`. A `name` other than letters, digits, `.`, `_` and `-`, a
   * wrong-typed argument or an unknown option is `INVALID_ARGUMENT`.
   */
  constructor(
    readonly directory: string,
    readonly name: string,
    options: SnapshotSlotsOptions = {},
  ) {
    checkPathArg('SnapshotSlots: directory', directory);
    checkStringArg('SnapshotSlots: name', name);
    this.#options = checkOptionsArg<SnapshotSlotsOptions>('SnapshotSlots options', options, ['maxBytes']);
    checkIntegerOption('SnapshotSlots: maxBytes', this.#options.maxBytes, 0);
    if (!/^[A-Za-z0-9._-]+$/.test(name))
      throw new ReloadError({
        code: 'INVALID_ARGUMENT',
        phase: 'call',
        message: `snapshot name '${name}' may use letters, digits, '.', '_' and '-' only`,
      });
  }

  /**
   * The newest good snapshot, or undefined when there is none. A damaged slot is skipped and listed
   * in the result's `damaged`; when every slot that exists is damaged, rejects with `CORRUPT_INPUT`
   * naming the problems. A slot that cannot be read (`EACCES`, `EISDIR`, …) rejects with `IO_FAILED`.
   */
  async read(): Promise<Snapshot | undefined> {
    await this.#clean();
    const found: Found[] = [];
    const damaged: DamagedSlot[] = [];
    for (const slot of SLOTS) {
      try {
        const one = await this.#readSlot(slot);
        if (one) found.push(one);
      } catch (error) {
        if (!(error instanceof ReloadError) || error.code !== 'CORRUPT_INPUT') throw error;
        damaged.push({ path: this.#path(slot), error });
      }
    }
    found.sort((x, y) => y.generation - x.generation);
    const [newest, other] = found;
    if (newest && other && newest.generation === other.generation) {
      damaged.push({
        path: this.#path(other.slot),
        error: this.#corrupt(`${this.#path(other.slot)}: same generation ${other.generation} as the other slot`),
      });
    }
    if (!newest && damaged.length > 0) {
      throw new ReloadError({
        code: 'CORRUPT_INPUT',
        phase: 'decode',
        key: this.name,
        message: `snapshot '${this.name}': no good slot (${damaged.map((d) => d.error.message).join('; ')})`,
        cause: damaged[0]!.error,
        details: { damaged },
      });
    }
    this.#newest = { slot: newest?.slot, generation: newest?.generation ?? 0 };
    return newest && { payload: newest.payload, generation: newest.generation, damaged };
  }

  /**
   * Writes a new generation into the slot not holding the newest good snapshot and returns the
   * generation. `IO_FAILED` when the file system refuses the write (the previous snapshot stays).
   */
  async write(payload: Uint8Array): Promise<number> {
    checkBytesArg(`snapshot '${this.name}': write payload`, payload);
    if (this.#newest === undefined) {
      try {
        await this.read();
      } catch (error) {
        if (!(error instanceof ReloadError) || error.code !== 'CORRUPT_INPUT') throw error;
        this.#newest = { slot: undefined, generation: 0 }; // no good slot: start over
      }
    }
    const newest = this.#newest!;
    const next = BigInt(newest.generation) + 1n;
    if (next > MAX_GENERATION)
      throw this.#corrupt(`snapshot '${this.name}': generation ${next} would exceed ${MAX_GENERATION}`);
    const slot: Slot = newest.slot === 'a' ? 'b' : 'a';
    const framed = new Uint8Array(GENERATION_BYTES + payload.byteLength);
    new DataView(framed.buffer).setBigUint64(0, next, true);
    framed.set(payload, GENERATION_BYTES);
    await withIo('create directory', this.directory, () => mkdir(this.directory, { recursive: true }));
    await writeChecked(this.#path(slot), framed);
    this.#newest = { slot, generation: Number(next) };
    return Number(next);
  }

  async #readSlot(slot: Slot): Promise<Found | undefined> {
    const path = this.#path(slot);
    const { maxBytes } = this.#options;
    const framed = await readChecked(path, maxBytes === undefined ? {} : { maxBytes: maxBytes + GENERATION_BYTES });
    if (framed === undefined) return undefined;
    if (framed.byteLength < GENERATION_BYTES) throw this.#corrupt(`${path}: no generation`);
    const generation = new DataView(framed.buffer, framed.byteOffset, GENERATION_BYTES).getBigUint64(0, true);
    if (generation === 0n || generation > MAX_GENERATION)
      throw this.#corrupt(`${path}: generation ${generation} is outside [1, ${MAX_GENERATION}] (not written by Baton)`);
    return { slot, generation: Number(generation), payload: framed.subarray(GENERATION_BYTES) };
  }

  async #clean(): Promise<void> {
    if (this.#cleaned) return;
    for (const slot of SLOTS) await removeStaleTempFiles(this.#path(slot), { key: this.name });
    this.#cleaned = true;
  }

  #corrupt(message: string): ReloadError {
    return new ReloadError({ code: 'CORRUPT_INPUT', phase: 'decode', key: this.name, message });
  }

  #path(slot: Slot): string {
    return join(this.directory, `${this.name}.${slot}`);
  }
}
