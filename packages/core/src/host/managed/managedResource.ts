import type { CallOptions, MaybePromise } from '../../util/maybePromise.js';
import { ManagedHandle } from './managedHandle.js';
import type { CellCloser } from './managedHandle.js';
import type { ResourceCell } from './resourceCell.js';

/**
 * A live resource of a host's own surface kind (one with a custom discipline), managed by the host:
 * `use` runs a function on whichever resource currently backs it, waiting at the plugin's gate during
 * a pause when the kind's discipline pauses callers.
 */
export class ManagedResource<R> extends ManagedHandle<R> {
  /** Made by the host (`PluginHost`), never by callers. */
  private constructor(cell: ResourceCell<R>, closer: CellCloser) {
    super(cell, closer);
  }

  /** @internal The host's way to make a handle. */
  static attach<R>(cell: ResourceCell<R>, closer: CellCloser): ManagedResource<R> {
    return new ManagedResource<R>(cell, closer);
  }

  /** Runs `fn` with the current resource and its provider. */
  use<T>(fn: (resource: R, provider: unknown) => MaybePromise<T>, options?: CallOptions): Promise<T> {
    return this.cell.use((resource, provider) => fn(resource, provider), options?.signal);
  }
}
