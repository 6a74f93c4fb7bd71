import type { DependencyContainer } from 'tsyringe';
import type { CompatSampleSource } from '../dispatch/dispatcherOptions.js';
import type { DisciplineSet } from '../disciplines/disciplineSet.js';
import { ReloadError, isReloadError } from '../errors/reloadError.js';
import type { JournalState, ReloadJournal } from '../durable/reloadJournal.js';
import { HostEvents } from '../events/hostEvents.js';
import { abortReason, withDeadline } from '../util/deadline.js';
import type { PluginDefinition } from './pluginDefinition.js';
import type { PluginSlot } from './pluginSlot.js';
import { PluginVersion, releaseRuntime } from './pluginVersion.js';
import type { RuntimeLeftover } from '../loader/bundle/pluginRuntime.js';
import { createRegistrar } from './registrar.js';
import type { StagingRegistrar } from './registrar.js';
import { createVersionScope, disposeScope } from './scope.js';
import { SurfaceRegistry } from './surfaceRegistry.js';
import type { NumericSettings } from '../settings/settingSpecs.js';

/** Host settings with their defaults applied (numbers checked against `settingSpecs`). */
export interface HostSettings extends NumericSettings {
  readonly samples: CompatSampleSource | undefined;
}

/** Every change of a host's own state: {@link HostCore.apply} is the one place it happens. */
export type HostChange =
  | { readonly type: 'loadStarted'; readonly name: string }
  | { readonly type: 'loadEnded'; readonly name: string }
  | { readonly type: 'slotAdded'; readonly slot: PluginSlot }
  | { readonly type: 'slotRemoved'; readonly name: string }
  | { readonly type: 'nameReserved'; readonly kind: string; readonly name: string }
  | { readonly type: 'nameReleased'; readonly kind: string; readonly name: string }
  | { readonly type: 'closed' };

/**
 * The state a host's public API, its reload pipeline and its job runner share. Others read it
 * through read-only views; every change goes through {@link HostCore.apply}, the way TanStack
 * query-core routes a query's changes through one `#dispatch`. (Versions and slots own their own
 * transitions: `PluginVersion.transition`, `PluginSlot.commit`/`begin`/`end`/`record`.)
 */
export class HostCore {
  readonly registry = new SurfaceRegistry();
  readonly events = new HostEvents();
  readonly #slots = new Map<string, PluginSlot>();
  /** Names being loaded right now (reserved so two loads of one name cannot race). */
  readonly #loading = new Set<string>();
  /** Managed resource names in use, per kind. */
  readonly #resourceNames = new Map<string, Set<string>>();
  #closed = false;
  #journalState: JournalState | undefined;
  #journalTail: Promise<unknown> = Promise.resolve();
  #epoch = 0;
  #reloadId = 0;

  constructor(
    readonly settings: HostSettings,
    readonly disciplines: DisciplineSet,
    readonly container: DependencyContainer,
    /** Where committed plugin versions are recorded before they become visible (optional). */
    readonly journal: ReloadJournal | undefined,
  ) {}

  /** The loaded plugins by name, in load order. */
  get slots(): ReadonlyMap<string, PluginSlot> {
    return this.#slots;
  }

  /** Names being loaded right now. */
  get loading(): ReadonlySet<string> {
    return this.#loading;
  }

  /** True once the host closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Applies one change to the host's state — the only place it changes. */
  apply(change: HostChange): void {
    switch (change.type) {
      case 'loadStarted':
        this.#loading.add(change.name);
        return;
      case 'loadEnded':
        this.#loading.delete(change.name);
        return;
      case 'slotAdded':
        this.#slots.set(change.slot.name, change.slot);
        return;
      case 'slotRemoved':
        this.#slots.delete(change.name);
        return;
      case 'nameReserved': {
        let names = this.#resourceNames.get(change.kind);
        if (!names) this.#resourceNames.set(change.kind, (names = new Set()));
        names.add(change.name);
        return;
      }
      case 'nameReleased':
        this.#resourceNames.get(change.kind)?.delete(change.name);
        return;
      case 'closed':
        this.#closed = true;
        this.registry.invalidate(); // surface refs re-resolve and see the host closed
        return;
    }
  }

  /**
   * Records in the journal, durably, that the named plugins now serve these versions (undefined:
   * unloaded). Writes are serialized and each writes the whole map, so concurrent loads and reloads
   * of different plugins cannot overwrite each other's record. Rejects with `JOURNAL_FAILED`.
   */
  async recordVersions(
    changes: Readonly<Record<string, string | undefined>>,
    phase: 'commit' | 'load' | 'unload',
  ): Promise<void> {
    const journal = this.journal;
    if (!journal) return;
    const write = this.#journalTail.then(async () => {
      const current = (this.#journalState ??= await journal.read());
      const versions = new Map(Object.entries(current.plugins));
      for (const [name, version] of Object.entries(changes)) {
        if (version === undefined) versions.delete(name);
        else versions.set(name, version);
      }
      const plugins: Record<string, string> = Object.fromEntries(versions);
      const next = { plugins, sequence: current.sequence + 1 };
      await journal.write(next);
      this.#journalState = next;
    });
    this.#journalTail = write.catch(() => undefined);
    try {
      await write;
    } catch (error) {
      this.#journalState = undefined; // re-read before the next write
      throw new ReloadError({
        code: 'JOURNAL_FAILED',
        phase,
        plugin: Object.keys(changes).join(', '),
        message: `the reload journal could not be written: ${error instanceof Error ? error.message : String(error)}`,
        cause: error,
      });
    }
  }

  nextReloadId(): number {
    return ++this.#reloadId;
  }

  assertOpen(phase: 'load' | 'call' | 'unload' | 'validate'): void {
    if (this.#closed) throw new ReloadError({ code: 'HOST_CLOSED', phase, message: 'the plugin host is closed' });
  }

  /** The slot of `name`; throws `NOT_LOADED`. */
  slot(name: string, phase: 'validate' | 'unload' | 'call'): PluginSlot {
    const slot = this.#slots.get(name);
    if (!slot) {
      const loaded = [...this.#slots.keys()];
      throw new ReloadError({
        code: 'NOT_LOADED',
        phase,
        plugin: name,
        message: `plugin '${name}' is not loaded (loaded: ${loaded.length ? loaded.join(', ') : 'none'})`,
      });
    }
    return slot;
  }

  /** Loaded plugins whose current version depends on `name`. */
  dependentsOf(name: string): string[] {
    return [...this.#slots.values()].filter((slot) => slot.current.dependsOn.includes(name)).map((slot) => slot.name);
  }

  /**
   * Runs a version's `register()` into a fresh scope, invisibly. Rejects with the registrar's own
   * error (`INVALID_PROVIDER`, `DUPLICATE_SURFACE`, …) or `REGISTRATION_FAILED`, disposing the scope.
   */
  async stage(
    definition: PluginDefinition,
    signal: AbortSignal | undefined,
    timeoutMs: number,
  ): Promise<PluginVersion> {
    if (signal?.aborted)
      throw registrationError(definition, abortReason(signal), timeoutMs, {
        aborted: true,
        timedOut: false,
        hostMade: false,
      });
    const info = Object.freeze({ name: definition.name, version: definition.version, epoch: ++this.#epoch });
    const scope = createVersionScope(this.container, info);
    let staging: StagingRegistrar | undefined;
    let deadline: AbortSignal | undefined;
    const report = (leftovers: readonly RuntimeLeftover[]): void => {
      this.events.emit('leftovers', { plugin: info.name, version: info.version, leftovers });
    };
    try {
      const registrations = await withDeadline(
        async (signal) => {
          deadline = signal;
          staging = createRegistrar(info, this.disciplines, scope, signal);
          await definition.register(staging.registrar);
          return staging.seal();
        },
        { timeoutMs, signal },
      );
      return new PluginVersion(definition, info, registrations, scope, staging!.retireHooks, report);
    } catch (error) {
      staging?.seal(); // a register() that outlived its deadline can add nothing more
      await disposeScope(scope, staging?.retireHooks);
      releaseRuntime(definition, report);
      // Only the host's own verdicts keep their code: what register() threw itself is the cause.
      const abandoned = deadline?.aborted === true && deadline.reason === error;
      throw registrationError(definition, error, timeoutMs, {
        aborted: abandoned && signal?.aborted === true,
        timedOut: abandoned && signal?.aborted !== true,
        hostMade: staging?.raisedHere(error) === true,
      });
    }
  }

  /** Reserves a managed resource name of `kind`; throws `INVALID_ARGUMENT` when taken. */
  reserveName(kind: string, name: string): void {
    if (typeof name !== 'string' || name.length === 0) {
      throw new ReloadError({
        code: 'INVALID_ARGUMENT',
        phase: 'call',
        kind,
        message: 'a managed resource needs a non-empty name',
      });
    }
    if (this.#resourceNames.get(kind)?.has(name))
      throw new ReloadError({
        code: 'INVALID_ARGUMENT',
        phase: 'call',
        kind,
        key: name,
        message: `a ${kind} resource named '${name}' is already open`,
      });
    this.apply({ type: 'nameReserved', kind, name });
  }

  releaseName(kind: string, name: string): void {
    this.apply({ type: 'nameReleased', kind, name });
  }
}

/**
 * The error of a failed `register()`. The host assigns the code: a registrar verdict (an invalid
 * provider, a duplicate surface…) keeps its own; an abandoned call is `ABORTED` or
 * `REGISTRATION_FAILED` (timeout); anything the plugin threw — even a `ReloadError` with a code of
 * its choosing — is `REGISTRATION_FAILED` with the plugin's error as the cause.
 */
function registrationError(
  definition: PluginDefinition,
  error: unknown,
  timeoutMs: number,
  how: { readonly aborted: boolean; readonly timedOut: boolean; readonly hostMade: boolean },
): ReloadError {
  const where = `plugin '${definition.name}' ${definition.version}`;
  if (how.hostMade && isReloadError(error)) return error.with({ phase: 'stage', plugin: definition.name });
  const context = { phase: 'stage', plugin: definition.name, cause: error } as const;
  if (how.aborted)
    return new ReloadError({
      ...context,
      code: 'ABORTED',
      message: `${where}: register() was abandoned because the operation was aborted`,
    });
  if (how.timedOut)
    return new ReloadError({
      ...context,
      code: 'REGISTRATION_FAILED',
      message: `${where}: register() did not settle within ${timeoutMs} ms`,
    });
  const detail = error instanceof Error ? error.message : String(error);
  return new ReloadError({
    ...context,
    code: 'REGISTRATION_FAILED',
    message: `${where}: register() failed: ${detail}`,
  });
}
