import type { Gate } from '../gate.js';
import type { LeaseCounter } from '../leaseCounter.js';

/**
 * What a managed resource's cell needs of the plugin that owns it (a `PluginSlot`): its gate, its
 * count of gated operations, and a way to detach the cell when it closes. An interface, so cells
 * and slots do not import each other.
 */
export interface CellOwner {
  readonly name: string;
  readonly gate: Gate;
  /** Gated operations in flight (what a reload's drain waits for). */
  readonly gated: LeaseCounter;
  /** Waits while the gate is closed (`admitted`: a call accepted before), then counts one gated operation. */
  enterGated(signal?: AbortSignal, admitted?: boolean): Promise<void>;
  /** Forgets a cell that closed. */
  detach(cell: unknown): void;
}
