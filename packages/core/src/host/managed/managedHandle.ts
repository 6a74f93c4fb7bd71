import type { PluginInfo } from '../scope.js';
import type { ResourceCell } from './resourceCell.js';

/** What closing a cell reported (CDC streams report their final checkpoint). */
export interface CloseReport {
  readonly checkpoints: readonly bigint[];
}

/** Closes a cell for good (provided by the host). */
export type CellCloser = (cell: ResourceCell) => Promise<CloseReport>;

/**
 * Base of every managed handle: a stable handle callers keep across reloads, backed by whichever
 * version currently serves. Closing is idempotent and `await using` closes it.
 */
export abstract class ManagedHandle<R> implements AsyncDisposable {
  readonly #cell: ResourceCell<R>;
  readonly #closer: CellCloser;
  #closing: Promise<CloseReport> | undefined;

  /** @internal Handles are made by the host. */
  constructor(cell: ResourceCell<R>, closer: CellCloser) {
    this.#cell = cell;
    this.#closer = closer;
  }

  /** The resource's name (unique per kind within the host). */
  get name(): string {
    return this.#cell.name;
  }

  /** The registry key of the provider this resource is made by (an index kind, a CDC output name, …). */
  get key(): string {
    return this.#cell.key;
  }

  /** The plugin version backing the resource now (name, version, epoch), as on a lease. */
  get plugin(): PluginInfo {
    return this.#cell.backing.version.info;
  }

  /** The version of the plugin backing the resource now (`plugin.version`). */
  get version(): string {
    return this.#cell.backing.version.version;
  }

  /** True once closed (or stopped by a failed rollback; see the error its calls throw). */
  get closed(): boolean {
    return this.#cell.fault !== undefined;
  }

  /** Closes the resource (after in-flight calls finish). Idempotent. */
  async close(): Promise<void> {
    await this.closeWithReport();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** @internal The cell, for subclasses. */
  protected get cell(): ResourceCell<R> {
    return this.#cell;
  }

  /** @internal Closes once and returns what the close reported. */
  protected closeWithReport(): Promise<CloseReport> {
    return (this.#closing ??= this.#closer(this.#cell));
  }
}
