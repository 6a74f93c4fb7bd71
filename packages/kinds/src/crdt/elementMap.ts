import type { CrdtPrimitive } from './primitive.js';

/**
 * A map keyed by {@link CrdtPrimitive} values, comparing byte strings by content (a `Map` alone
 * would compare them by identity). Other primitives are keys as they are: `1`, `1n` and `'1'`
 * stay distinct. Iterates plain keys in insertion order, then byte keys in insertion order.
 */
export class ElementMap<V> {
  readonly #plain = new Map<string | number | bigint | boolean, V>();
  /** Byte keys, by their latin1 rendering (one character per byte, so distinct bytes never collide). */
  readonly #bytes = new Map<string, V>();

  /** The number of keys. */
  get size(): number {
    return this.#plain.size + this.#bytes.size;
  }

  get(key: CrdtPrimitive): V | undefined {
    return key instanceof Uint8Array ? this.#bytes.get(bytesKey(key)) : this.#plain.get(key);
  }

  has(key: CrdtPrimitive): boolean {
    return key instanceof Uint8Array ? this.#bytes.has(bytesKey(key)) : this.#plain.has(key);
  }

  set(key: CrdtPrimitive, value: V): this {
    if (key instanceof Uint8Array) this.#bytes.set(bytesKey(key), value);
    else this.#plain.set(key, value);
    return this;
  }

  /** Removes `key`; true when it was present. */
  delete(key: CrdtPrimitive): boolean {
    return key instanceof Uint8Array ? this.#bytes.delete(bytesKey(key)) : this.#plain.delete(key);
  }

  /** The values as an array, plain keys first (faster than iterating {@link values}). */
  toArray(): V[] {
    const out = [...this.#plain.values()];
    for (const value of this.#bytes.values()) out.push(value);
    return out;
  }

  /** The values, plain keys first. Deleting the current entry while iterating is allowed. */
  *values(): Generator<V> {
    yield* this.#plain.values();
    yield* this.#bytes.values();
  }
}

function bytesKey(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}
