import type { RegistrationSet } from '../dispatch/registrationSet.js';
import { ReloadError } from '../errors/reloadError.js';
import type { PluginSlot } from './pluginSlot.js';
import type { PluginVersion } from './pluginVersion.js';

/** A visible surface: its provider, the version that registered it and that plugin's slot. */
export interface RegistryEntry {
  readonly kind: string;
  readonly key: string;
  readonly provider: unknown;
  readonly version: PluginVersion;
  readonly slot: PluginSlot;
}

type Table = ReadonlyMap<string, ReadonlyMap<string, RegistryEntry>>;

/**
 * The host's surfaces, copy-on-write: a lookup reads one immutable table; a load, reload or unload
 * builds the next table and publishes it with one assignment, so a caller sees either every surface
 * of the old versions or every surface of the new ones, never a mix.
 */
export class SurfaceRegistry {
  #table: Table = new Map();
  #generation = 0;

  /** Increases at every publish (and when the host closes): a cached lookup is valid while it is unchanged. */
  get generation(): number {
    return this.#generation;
  }

  /** Makes every cached lookup stale (the host closed: refs must re-resolve and see it). */
  invalidate(): void {
    this.#generation++;
  }

  /** The entry of `kind`/`key`, or undefined. The hot path of every call. */
  lookup(kind: string, key: string): RegistryEntry | undefined {
    return this.#table.get(kind)?.get(key);
  }

  /** Every entry, optionally of one kind. */
  entries(kind?: string): RegistryEntry[] {
    const kinds =
      kind === undefined ? [...this.#table.values()] : [this.#table.get(kind) ?? new Map<string, RegistryEntry>()];
    return kinds.flatMap((keys) => [...keys.values()]);
  }

  /** Entries owned by plugins other than `except` that `registrations` would collide with. */
  conflicts(registrations: RegistrationSet, except: ReadonlySet<string>): RegistryEntry[] {
    const found: RegistryEntry[] = [];
    for (const { kind, key } of registrations) {
      const entry = this.lookup(kind, key);
      if (entry && !except.has(entry.slot.name)) found.push(entry);
    }
    return found;
  }

  /**
   * Publishes the next table: the surfaces of plugins in `remove` are dropped and those of `add`
   * appear, atomically. Throws `SURFACE_CONFLICT` (publishing nothing) if a key is taken.
   */
  publish(
    remove: ReadonlySet<string>,
    add: readonly { readonly version: PluginVersion; readonly slot: PluginSlot }[],
  ): void {
    const next = new Map<string, Map<string, RegistryEntry>>();
    for (const [kind, keys] of this.#table) {
      for (const [key, entry] of keys) {
        if (remove.has(entry.slot.name)) continue;
        let target = next.get(kind);
        if (!target) next.set(kind, (target = new Map<string, RegistryEntry>()));
        target.set(key, entry);
      }
    }
    for (const { version, slot } of add) {
      for (const { kind, key, provider } of version.registrations) {
        let target = next.get(kind);
        if (!target) next.set(kind, (target = new Map<string, RegistryEntry>()));
        const taken = target.get(key);
        if (taken) throw conflictError(version, kind, key, taken);
        target.set(key, { kind, key, provider, version, slot });
      }
    }
    this.#table = next;
    this.#generation++;
  }
}

/** The `SURFACE_CONFLICT` error for `version` registering a key `taken` already owns. */
export function conflictError(version: PluginVersion, kind: string, key: string, taken: RegistryEntry): ReloadError {
  return new ReloadError({
    code: 'SURFACE_CONFLICT',
    phase: 'stage',
    plugin: version.name,
    kind,
    key,
    message: `plugin '${version.name}' ${version.version} registers ${kind} '${key}', which plugin '${taken.slot.name}' ${taken.version.version} already provides`,
  });
}
