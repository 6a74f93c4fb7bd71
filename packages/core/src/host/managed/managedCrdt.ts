import type { CrdtKindProvider, CrdtState } from '../../surfaces/crdtKind.js';
import type { CallOptions, MaybePromise } from '../../util/maybePromise.js';
import { ManagedHandle } from './managedHandle.js';
import type { CellCloser } from './managedHandle.js';
import type { ResourceCell } from './resourceCell.js';

/** One operation applied to the state (made once: `apply` allocates no closure per call). */
const applyOp = (state: CrdtState, _provider: unknown, _version: unknown, op: unknown): MaybePromise<void> =>
  state.apply(op);

/**
 * A CRDT state managed by the host. During a reload its writers wait at the plugin's gate while the
 * state moves to the new version (persist → migrate → fromPersisted); afterwards they continue on it.
 */
export class ManagedCrdt<Op = unknown, Value = unknown> extends ManagedHandle<CrdtState<Op, Value>> {
  /** Made by the host (`PluginHost`), never by callers. */
  private constructor(cell: ResourceCell<CrdtState<Op, Value>>, closer: CellCloser) {
    super(cell, closer);
  }

  /** @internal The host's way to make a handle. */
  static attach<Op, Value>(cell: ResourceCell<CrdtState<Op, Value>>, closer: CellCloser): ManagedCrdt<Op, Value> {
    return new ManagedCrdt<Op, Value>(cell, closer);
  }

  /** Applies one local operation. */
  apply(op: Op, options?: CallOptions): Promise<void> {
    return this.cell.use(applyOp, options?.signal, op, 'apply');
  }

  /**
   * Merges another replica's state: persisted bytes (read by the current version's provider), or
   * another managed state of the same kind.
   */
  async merge(other: Uint8Array | ManagedCrdt<Op, Value>, options?: CallOptions): Promise<void> {
    // Read the other state first: holding this state's lease while waiting for the other's could
    // deadlock against a reload that pauses both.
    const bytes = other instanceof Uint8Array ? other : await other.persist(options);
    await this.cell.use(
      async (state, provider) => {
        const incoming = await (provider as CrdtKindProvider<Op, Value>).fromPersisted(bytes);
        await state.merge(incoming);
      },
      options?.signal,
      undefined,
      'merge',
    );
  }

  /** The observable value. */
  value(options?: CallOptions): Promise<Value> {
    return this.cell.use((state) => state.value(), options?.signal, undefined, 'value');
  }

  /** The state's bytes in the current version's format. */
  persist(options?: CallOptions): Promise<Uint8Array> {
    return this.cell.use((state) => state.persist(), options?.signal, undefined, 'persist');
  }
}
