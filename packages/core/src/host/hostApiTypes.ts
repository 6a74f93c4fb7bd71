import type { HostLogger } from '../events/hostLogger.js';
import type { RecordBatch, Table } from 'apache-arrow';
import type { DependencyContainer } from 'tsyringe';
import type { AnyDiscipline } from '../disciplines/disciplineSet.js';
import type { CompatSampleSource } from '../dispatch/dispatcherOptions.js';
import type { ReloadJournal } from '../durable/reloadJournal.js';
import type { ProviderOf, SurfaceKind } from '../surfaces/surfaceMap.js';
import type { MaybePromise } from '../util/maybePromise.js';

/**
 * Settings of a `PluginHost`; each has a sensible default. Numbers are checked once, when the
 * host is made (finite, whole where they count something, within the range `settingSpecs` gives);
 * an unknown option is refused with `INVALID_ARGUMENT`, so a misspelt one is never silently ignored.
 */
export interface PluginHostOptions {
  /** Disciplines for the host's own surface kinds (or replacements of built-in ones). */
  readonly disciplines?: readonly AnyDiscipline[];
  /** Parent of every version scope: register host services here (default: a child of tsyringe's root container). */
  readonly container?: DependencyContainer;
  /**
   * Host services as a plain object, token → value (`{ 'my.env': env }`): each is registered as a
   * value a plugin resolves with `r.scope.resolve('my.env')`, in a child of `container` when both
   * are given (the container given is not changed). No tsyringe needed in the host's own code.
   */
  readonly services?: Readonly<Record<string, unknown>>;
  /** Calls that may wait at one plugin's gate during a pause (default 100 000). */
  readonly queueLimit?: number;
  /** Milliseconds in-flight calls may take to drain before a reload gives up (default 5 000). */
  readonly drainTimeoutMs?: number;
  /** Milliseconds each provider call of a reload may take (default 30 000). */
  readonly stepTimeoutMs?: number;
  /**
   * Milliseconds each provider call that prepares a handoff before the pause may take (default
   * 300 000): snapshotting a large index and opening it on the new provider while the old serves.
   */
  readonly prepareTimeoutMs?: number;
  /** Milliseconds each undo step of a rollback may take (default 30 000). */
  readonly rollbackTimeoutMs?: number;
  /** Milliseconds one compat check may take (default 30 000). */
  readonly compatTimeoutMs?: number;
  /** Milliseconds `register()` may take (default 30 000). */
  readonly registerTimeoutMs?: number;
  /** Handoffs running at once per plugin (default 64). */
  readonly concurrency?: number;
  /** States one compat check visits at most (default 256). */
  readonly maxStates?: number;
  /** More operation sequences for compat checks (e.g. from @baton/testing). */
  readonly samples?: CompatSampleSource;
  /** Run registered background jobs on their interval (default false: only `runJob`). */
  readonly runJobs?: boolean;
  /**
   * Records, durably and before they become visible, which plugin versions serve (see
   * `fileReloadJournal`). After a crash, load the versions `journal.read()` names.
   */
  readonly journal?: ReloadJournal;
  /**
   * Where the host writes what would otherwise go unseen (see `HostLogger`): a background job or an
   * event listener that threw, a refused reload, leftovers of a retired version. Default: errors and
   * warnings to standard error (`consoleLogger`); `false` writes nothing.
   */
  readonly logger?: HostLogger | false;
}

/** Options of `PluginHost.load}. */
export interface LoadOptions {
  readonly signal?: AbortSignal;
  readonly registerTimeoutMs?: number;
}

/** Options of `PluginHost.unload}. */
export interface UnloadOptions {
  readonly signal?: AbortSignal;
  /** Milliseconds in-flight calls on stateful resources may take to drain (default: the host's drain timeout). */
  readonly drainTimeoutMs?: number;
}

/** A loaded plugin, as `PluginHost.plugins} lists it. */
export interface PluginSummary {
  readonly name: string;
  readonly version: string;
  readonly epoch: number;
  readonly dependsOn: readonly string[];
  readonly surfaces: readonly { readonly kind: string; readonly key: string }[];
  readonly resources: readonly { readonly kind: string; readonly name: string }[];
}

/** Options of `PluginHost.openIndex}: build from Arrow data, or reopen persisted bytes. */
export type OpenIndexOptions = {
  readonly name: string;
  /** Registry key of the `indexKind` provider (its index kind, e.g. `flat-vector`). */
  readonly key: string;
  readonly signal?: AbortSignal;
} & (
  | {
      readonly source: RecordBatch | Table;
      readonly column: string;
      readonly params?: Readonly<Record<string, unknown>>;
    }
  | { readonly bytes: Uint8Array }
);

/** Options of `PluginHost.startCdc}. */
export interface StartCdcOptions {
  readonly name: string;
  /** Registry key of the `cdcOutput` provider (the output's name). */
  readonly key: string;
  /** Resume after this checkpoint LSN. */
  readonly fromLsn?: bigint;
  readonly signal?: AbortSignal;
}

/** Options of `PluginHost.openCrdt}. */
export interface OpenCrdtOptions {
  readonly name: string;
  /** Registry key of the `crdtKind` provider (its CRDT kind, e.g. `g-counter`). */
  readonly key: string;
  /** Persisted state to restore; absent: the empty state. */
  readonly bytes?: Uint8Array;
  readonly signal?: AbortSignal;
}

/** Options of `PluginHost.openResource}: a resource of any kind whose discipline hands resources over. */
export interface OpenResourceOptions<K extends SurfaceKind, R> {
  readonly name: string;
  /** The surface kind (it needs a discipline with a `handoff`). */
  readonly kind: K;
  /** Registry key of the provider that makes the resource. */
  readonly key: string;
  /** What the kind's discipline `open` gets (when `make` is absent). */
  readonly request?: Readonly<Record<string, unknown>>;
  /** Makes the resource with the provider that serves now (instead of the discipline's `open`). */
  readonly make?: (provider: ProviderOf<K>) => MaybePromise<R>;
  /** Handoff parameters the kind's discipline reads (read again at each reload). */
  readonly params?: () => Readonly<Record<string, unknown>>;
  readonly signal?: AbortSignal;
}

/** Options of `PluginHost.openStorage}. */
export interface OpenStorageOptions {
  readonly name: string;
  /** Registry key of the `storageBackend` provider (the backend's name). */
  readonly key: string;
  readonly location: string;
  readonly signal?: AbortSignal;
}
