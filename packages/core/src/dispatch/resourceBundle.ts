import type { CdcStream } from '../surfaces/cdcOutput.js';
import type { CrdtState } from '../surfaces/crdtKind.js';
import type { IndexHandle } from '../surfaces/indexKind.js';
import type { Storage } from '../surfaces/storage.js';

const EMPTY: ReadonlyMap<string, unknown> = new Map<string, unknown>();

/**
 * Live resources by kind and name: what a dispatch reopened (in a {@link ReloadOutcome}) or handed
 * back after a failure (in a `ReloadError`'s `details.restored`).
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
  byKind<R = unknown>(kind: string): ReadonlyMap<string, R> {
    return (this.#byKind.get(kind) ?? EMPTY) as ReadonlyMap<string, R>;
  }

  /** The resource `name` of `kind`, or undefined. */
  get<R = unknown>(kind: string, name: string): R | undefined {
    return this.#byKind.get(kind)?.get(name) as R | undefined;
  }

  /** Index handles by name. */
  get indexHandles(): ReadonlyMap<string, IndexHandle> {
    return this.byKind('indexKind');
  }

  /** CDC streams by name. */
  get cdcStreams(): ReadonlyMap<string, CdcStream> {
    return this.byKind('cdcOutput');
  }

  /** CRDT states by name. */
  get crdtStates(): ReadonlyMap<string, CrdtState> {
    return this.byKind('crdtKind');
  }

  /** Storages by name. */
  get storages(): ReadonlyMap<string, Storage> {
    return this.byKind('storageBackend');
  }

  /** Number of resources. */
  get size(): number {
    let size = 0;
    for (const names of this.#byKind.values()) size += names.size;
    return size;
  }
}
