import type { RollbackReport } from '../dispatch/rollback.js';
import { ReloadError } from '../errors/reloadError.js';
import { initialStats, reduceStats } from '../events/stats.js';
import type { PluginStats, StatsEvent } from '../events/stats.js';
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
  /** Gated operations in flight: uses of resources whose kind pauses callers, resource creation and closing. */
  readonly gated = new LeaseCounter();
  readonly #resources = new Set<ResourceCell>();
  #current: PluginVersion;
  #activity: SlotActivity;
  #stats: PluginStats;

  /** Makes the slot of a staged version (it becomes active when the load publishes it). */
  constructor(current: PluginVersion, queueLimit: number, onReleased?: (plugin: string, waitedMs: number) => void) {
    this.#current = current;
    const { name } = current; // not `current`: the gate outlives this version, and must not keep it
    this.gate = new Gate(
      queueLimit,
      name,
      onReleased &&
        ((waitedMs) => {
          onReleased(name, waitedMs);
        }),
    );
    this.#stats = initialStats(current.name, current.version);
  }

  get name(): string {
    return this.#current.name;
  }

  /** The version that serves now. */
  get current(): PluginVersion {
    return this.#current;
  }

  /** The live resources its providers made (managed handles' cells). */
  get resources(): ReadonlySet<ResourceCell> {
    return this.#resources;
  }

  /** Attaches a managed resource made by this plugin's provider. */
  attach(cell: ResourceCell): void {
    this.#resources.add(cell);
  }

  /** Detaches a managed resource that closed. */
  detach(cell: unknown): void {
    this.#resources.delete(cell as ResourceCell);
  }

  /** What the slot is doing besides serving (a reload or an unload), if anything. */
  get activity(): SlotActivity {
    return this.#activity;
  }

  /** Reload statistics, and the calls made on the serving version so far. */
  get stats(): PluginStats {
    return { ...this.#stats, calls: this.#current.leases.total };
  }

  /** Marks the slot busy with a reload or an unload (one at a time: the caller checked `activity`). */
  begin(activity: 'reload' | 'unload'): void {
    if (this.#activity !== undefined)
      throw new ReloadError({
        code: 'INTERNAL',
        plugin: this.name,
        message: `plugin '${this.name}' is already busy with a ${this.#activity}`,
      });
    this.#activity = activity;
  }

  /** Marks the slot idle again. */
  end(): void {
    this.#activity = undefined;
  }

  /**
   * Makes `next` the version that serves: the current one starts retiring. Returns the retiring
   * version (retire it once its calls finished).
   */
  commit(next: PluginVersion): PluginVersion {
    const previous = this.#current;
    previous.transition('retiring');
    next.transition('active');
    this.#current = next;
    return previous;
  }

  /** Folds one reload event into the statistics. */
  record(event: StatsEvent): void {
    this.#stats = reduceStats(this.#stats, event);
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

  /**
   * After a rollback: points each managed resource at what serves again, and stops the ones the
   * rollback lost (their uses then fail with `ROLLBACK_FAILED`, naming the checkpoint to restart from).
   */
  reattach(report: RollbackReport, cause: ReloadError): void {
    for (const cell of this.resources) {
      const lost = report.unrestored.find((u) => u.kind === cell.kind && u.name === cell.name);
      if (lost) {
        cell.stop(
          new ReloadError({
            code: 'ROLLBACK_FAILED',
            phase: 'rollback',
            plugin: this.name,
            kind: cell.kind,
            key: cell.name,
            message:
              `${cell.kind} '${cell.name}' stopped during a failed reload and could not be restarted` +
              (lost.checkpointLsn === undefined ? '' : `; restart it from LSN ${lost.checkpointLsn}`),
            cause,
            details: lost.checkpointLsn === undefined ? {} : { checkpointLsn: lost.checkpointLsn },
          }),
        );
        continue;
      }
      const resource = report.restored.get(cell.kind, cell.name);
      if (resource !== undefined && resource !== cell.backing.value)
        cell.swap(resource, cell.backing.provider, cell.backing.version);
    }
  }
}
