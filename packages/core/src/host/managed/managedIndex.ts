import type { RecordBatch } from 'apache-arrow';
import type { IndexHandle } from '../../surfaces/indexKind.js';
import type { CallOptions } from '../../util/maybePromise.js';
import { ManagedHandle } from './managedHandle.js';
import type { CellCloser } from './managedHandle.js';
import type { ResourceCell } from './resourceCell.js';

/**
 * An index handle managed by the host. Probes keep answering during a reload (on the old handle
 * until commit, then on the handle the new version reopened); callers never see the swap.
 */
export class ManagedIndex extends ManagedHandle<IndexHandle> {
  /** Made by the host (`PluginHost`), never by callers. */
  private constructor(cell: ResourceCell<IndexHandle>, closer: CellCloser) {
    super(cell, closer);
  }

  /** @internal The host's way to make a handle. */
  static attach(cell: ResourceCell<IndexHandle>, closer: CellCloser): ManagedIndex {
    return new ManagedIndex(cell, closer);
  }

  /** Answers a batch of queries with up to `k` matches each. */
  probe(query: RecordBatch, k: number, options?: CallOptions): Promise<RecordBatch> {
    return this.cell.use((handle) => handle.probe(query, k), options?.signal, undefined, 'probe');
  }

  /** Serialises the index as the current version writes it (for snapshots). */
  persist(options?: CallOptions): Promise<Uint8Array> {
    return this.cell.use((handle) => handle.persist(options), options?.signal, undefined, 'persist');
  }
}
