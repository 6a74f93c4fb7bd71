import { initialStats } from '../events/stats.js';
import type { PluginStats } from '../events/stats.js';
import { Gate } from './gate.js';
import { LeaseCounter } from './leaseCounter.js';
import type { ResourceCell } from './managed/resourceCell.js';
import type { PluginVersion } from './pluginVersion.js';

/** What a slot is doing besides serving. */
export type SlotActivity = 'reload' | 'unload' | undefined;

/**
 * One plugin name in a host: the version that serves now, the gate in front of its stateful
 * resources, the gated operations in flight (what a reload's drain waits for) and the live
 * resources made by its providers. A slot outlives reloads; it ends with unload.
 */
export class PluginSlot {
  readonly gate: Gate;
  /** Gated operations in flight: uses of exclusive resources, resource creation and closing. */
  readonly gated = new LeaseCounter();
  readonly resources = new Set<ResourceCell>();
  activity: SlotActivity;
  stats: PluginStats;

  constructor(
    public current: PluginVersion,
    queueLimit: number,
    onReleased?: (plugin: string, waitedMs: number) => void,
  ) {
    this.gate = new Gate(queueLimit, current.name, onReleased && ((waitedMs) => onReleased(current.name, waitedMs)));
    this.stats = initialStats(current.name, current.version);
  }

  get name(): string {
    return this.current.name;
  }

  /**
   * Enters a gated operation: waits while the gate is closed (`admitted`: a call accepted before,
   * which the queue limit does not refuse), then counts it in {@link gated}.
   * The caller must call `gated.release()` when done.
   */
  async enterGated(signal?: AbortSignal, admitted = false): Promise<void> {
    while (!this.gate.isOpen) await this.gate.wait(signal, admitted);
    this.gated.acquire();
  }
}
