import type { ProviderOf, SurfaceKind } from '../surfaces/surfaceMap.js';

/** One registered surface: its kind, its key and its provider. */
export interface Registration<P = unknown> {
  readonly kind: string;
  readonly key: string;
  readonly provider: P;
}

/**
 * The surfaces one plugin version registered, by kind and key. Immutable: it is built once when the
 * version is staged and shared by the registry, the compat check and the dispatcher.
 */
export class RegistrationSet implements Iterable<Registration> {
  readonly #byKind: ReadonlyMap<string, ReadonlyMap<string, unknown>>;
  readonly size: number;

  private constructor(byKind: ReadonlyMap<string, ReadonlyMap<string, unknown>>, size: number) {
    this.#byKind = byKind;
    this.size = size;
  }

  /** The empty set. */
  static empty(): RegistrationSet {
    return new RegistrationSet(new Map(), 0);
  }

  /**
   * A set of `registrations`. Keys must be unique per kind (the registrar reports duplicates with
   * their plugin; here a duplicate is a programming error).
   */
  static of(registrations: Iterable<Registration>): RegistrationSet {
    const byKind = new Map<string, Map<string, unknown>>();
    let size = 0;
    for (const { kind, key, provider } of registrations) {
      let keys = byKind.get(kind);
      if (!keys) byKind.set(kind, (keys = new Map<string, unknown>()));
      if (keys.has(key)) throw new RangeError(`duplicate registration ${kind} '${key}'`);
      keys.set(key, provider);
      size++;
    }
    return new RegistrationSet(byKind, size);
  }

  /** The provider of `kind` registered under `key`, or undefined. */
  get<K extends SurfaceKind>(kind: K, key: string): ProviderOf<K> | undefined {
    return this.#byKind.get(kind)?.get(key) as ProviderOf<K> | undefined;
  }

  /** Whether `kind`/`key` is registered. */
  has(kind: string, key: string): boolean {
    return this.#byKind.get(kind)?.has(key) ?? false;
  }

  /** The kinds with at least one registration. */
  kinds(): string[] {
    return [...this.#byKind.keys()];
  }

  /** The keys registered for `kind`. */
  keys(kind: string): string[] {
    return [...(this.#byKind.get(kind)?.keys() ?? [])];
  }

  *[Symbol.iterator](): Iterator<Registration> {
    for (const [kind, keys] of this.#byKind) for (const [key, provider] of keys) yield { kind, key, provider };
  }
}
