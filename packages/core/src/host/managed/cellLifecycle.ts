import { ReloadError } from '../../errors/reloadError.js';
import { StepRecorder } from '../../dispatch/stepRecorder.js';
import type { MaybePromise } from '../../util/maybePromise.js';
import type { HostCore } from '../hostCore.js';
import type { CloseReport } from './managedHandle.js';
import { ResourceCell } from './resourceCell.js';
import { providerError } from './providerError.js';

const NEVER_ABORTED = new AbortController().signal;

/** How to make one managed resource. */
export interface OpenSpec<R> {
  readonly kind: string;
  /** Registry key of the provider (index kind, CDC output name, …). */
  readonly key: string;
  /** Unique name of the resource within its kind. */
  readonly name: string;
  readonly signal: AbortSignal | undefined;
  /** Makes the resource with the current provider. */
  readonly make: (provider: unknown) => MaybePromise<R>;
  /**
   * The provider method `make` calls (`open`, `start`, …): its errors then reach the caller through
   * `providerError`. Absent when `make` is the caller's own function (`openResource`).
   */
  readonly step?: string;
  /** Problems with what `make` returned (undefined when fine). */
  readonly check: (value: unknown) => string | undefined;
  readonly handoffParams?: () => Readonly<Record<string, unknown>>;
}

/**
 * Makes a managed resource: waits at the owning plugin's gate (a resource cannot appear in the middle
 * of a reload's handoff), makes it with the provider that serves now, and attaches it to the plugin.
 */
export async function openCell<R>(core: HostCore, spec: OpenSpec<R>): Promise<ResourceCell<R>> {
  core.assertOpen('call');
  const discipline = core.disciplines.require(spec.kind);
  const slot = findEntry(core, spec.kind, spec.key).slot;
  await slot.enterGated(spec.signal);
  try {
    const entry = findEntry(core, spec.kind, spec.key);
    if (entry.slot !== slot) {
      throw new ReloadError({
        code: 'SURFACE_NOT_FOUND',
        phase: 'call',
        kind: spec.kind,
        key: spec.key,
        message: `${spec.kind} '${spec.key}' changed owner while waiting; retry`,
      });
    }
    core.reserveName(spec.kind, spec.name);
    try {
      let value: R;
      try {
        value = await spec.make(entry.provider);
      } catch (error) {
        if (spec.step === undefined) throw error;
        const site = { kind: spec.kind, name: spec.name, plugin: slot.name, version: entry.version.version };
        throw providerError(site, spec.step, error);
      }
      const problem = spec.check(value);
      if (problem !== undefined) {
        throw new ReloadError({
          code: 'INVALID_PROVIDER',
          phase: 'call',
          plugin: slot.name,
          kind: spec.kind,
          key: spec.key,
          message: `${spec.kind} '${spec.key}' of ${slot.name} ${entry.version.version}: ${problem}`,
        });
      }
      const cell = new ResourceCell<R>(
        spec.kind,
        spec.name,
        spec.key,
        slot,
        discipline,
        { value, provider: entry.provider, version: entry.version },
        spec.handoffParams,
      );
      slot.resources.add(cell);
      return cell;
    } catch (error) {
      core.releaseName(spec.kind, spec.name);
      throw error;
    }
  } finally {
    slot.gated.release();
  }
}

/**
 * Closes a managed resource for good: new uses fail with `RESOURCE_CLOSED`, in-flight ones finish,
 * then the kind's discipline closes it (a CDC stream is checkpointed first; the LSN is reported).
 */
export async function closeCell(core: HostCore, cell: ResourceCell): Promise<CloseReport> {
  const slot = cell.slot;
  const detach = (): void => {
    slot.resources.delete(cell);
    core.releaseName(cell.kind, cell.name);
  };
  if (cell.fault) {
    detach();
    return { checkpoints: [] };
  }
  await slot.enterGated();
  try {
    if (cell.fault) return { checkpoints: [] };
    cell.stop(
      new ReloadError({
        code: 'RESOURCE_CLOSED',
        phase: 'call',
        plugin: slot.name,
        kind: cell.kind,
        key: cell.name,
        message: `${cell.kind} '${cell.name}' is closed`,
      }),
    );
    await cell.backing.leases.whenIdle();
    const context = new StepRecorder(cell.kind, cell.name, NEVER_ABORTED, core.settings.stepTimeoutMs, 'unload');
    try {
      await cell.discipline.close?.(cell.backing.value, context);
    } finally {
      cell.closeCheckpoints = context.checkpoints;
    }
    return { checkpoints: context.checkpoints };
  } finally {
    detach();
    slot.gated.release();
  }
}

function findEntry(core: HostCore, kind: string, key: string): NonNullable<ReturnType<HostCore['registry']['lookup']>> {
  const entry = core.registry.lookup(kind, key);
  if (!entry)
    throw new ReloadError({
      code: 'SURFACE_NOT_FOUND',
      phase: 'call',
      kind,
      key,
      message: `no loaded plugin provides ${kind} '${key}'`,
    });
  return entry;
}
