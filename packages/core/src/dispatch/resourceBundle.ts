import type { ResourceOf, SurfaceKind } from '../surfaces/surfaceMap.js';

const EMPTY: ReadonlyMap<string, unknown> = new Map<string, unknown>();

/**
 * Live resources by surface kind and name: what a dispatch reopened (a {@link ReloadOutcome}'s
 * `resources`) or what serves again after a rollback (a `RollbackReport`'s `restored`). Typed by
 * kind: `bundle.byKind('cdcOutput')` is a map of `CdcStream`s.
 */
export class ResourceBundle {
  readonly #byKind: ReadonlyMap<string, ReadonlyMap<string, unknown>>;

  constructor(entries: Iterable<{ readonly kind: string; readonly name: string; readonly resource: unknown }> = []) {
    const byKind = new Map<string, Map<string, unknown>>();
    for (const { kind, name, resource } of entries) {
      let names = byKind.get(kind);
      if (!names) byKind.set(kind, (names = new Map<string, unknown>()));
      names.set(name, resource);
    }
    this.#byKind = byKind;
  }

  /** Resources of `kind` by name. */
  byKind<K extends SurfaceKind>(kind: K): ReadonlyMap<string, ResourceOf<K>> {
    return (this.#byKind.get(kind) ?? EMPTY) as ReadonlyMap<string, ResourceOf<K>>;
  }

  /** The resource `name` of `kind`, or undefined. */
  get<K extends SurfaceKind>(kind: K, name: string): ResourceOf<K> | undefined {
    return this.#byKind.get(kind)?.get(name) as ResourceOf<K> | undefined;
  }

  /** Every resource, with its kind and name. */
  *entries(): IterableIterator<{ readonly kind: string; readonly name: string; readonly resource: unknown }> {
    for (const [kind, names] of this.#byKind) for (const [name, resource] of names) yield { kind, name, resource };
  }

  /** Number of resources. */
  get size(): number {
    let size = 0;
    for (const names of this.#byKind.values()) size += names.size;
    return size;
  }
}
