import type { Storage } from '../../surfaces/storage.js';
import type { CallOptions } from '../../util/maybePromise.js';
import { ManagedHandle } from './managedHandle.js';
import type { CellCloser } from './managedHandle.js';
import type { ResourceCell } from './resourceCell.js';

/**
 * A storage opened through the host. On reload the new version opens the same location; calls that
 * started on the old storage finish there, and it closes once they have drained.
 */
export class ManagedStorage extends ManagedHandle<Storage> {
  /** Made by the host (`PluginHost`), never by callers. */
  private constructor(cell: ResourceCell<Storage>, closer: CellCloser) {
    super(cell, closer);
  }

  /** @internal The host's way to make a handle. */
  static attach(cell: ResourceCell<Storage>, closer: CellCloser): ManagedStorage {
    return new ManagedStorage(cell, closer);
  }

  get(key: string, options?: CallOptions): Promise<Uint8Array | undefined> {
    return this.cell.use((storage) => storage.get(key), options?.signal, undefined, 'get');
  }

  put(key: string, value: Uint8Array, options?: CallOptions): Promise<void> {
    return this.cell.use((storage) => storage.put(key, value), options?.signal, undefined, 'put');
  }

  delete(key: string, options?: CallOptions): Promise<boolean> {
    return this.cell.use((storage) => storage.delete(key), options?.signal, undefined, 'delete');
  }

  keys(prefix?: string, options?: CallOptions): Promise<readonly string[]> {
    return this.cell.use((storage) => storage.keys(prefix), options?.signal, undefined, 'keys');
  }
}
