import { ReloadError } from '../../errors/reloadError.js';
import { StepRecorder } from '../../dispatch/stepRecorder.js';
import type { OpenedResource } from '../../disciplines/openTypes.js';
import type { MaybePromise } from '../../util/maybePromise.js';
import type { HostCore } from '../hostCore.js';
import type { CloseReport } from './managedHandle.js';
import { ResourceCell } from './resourceCell.js';
import { providerError } from './providerError.js';

const NEVER_ABORTED = new AbortController().signal;

/** How to make one managed resource: with the kind's discipline (`request`) or the caller's `make`. */
export interface OpenSpec<R> {
  readonly kind: string;
  /** Registry key of the provider (index kind, CDC output name, …). */
  readonly key: string;
  /** Unique name of the resource within its kind. */
  readonly name: string;
  readonly signal: AbortSignal | undefined;
  /** The request the discipline's `open` gets (when `make` is absent). */
  readonly request?: unknown;
  /**
   * Makes the resource with the caller's own function instead (a host kind without `open`): what it
   * throws passes unchanged.
   */
  readonly make?: (provider: unknown) => MaybePromise<R>;
  /** Handoff parameters the caller keeps up to date (read at each reload), besides the discipline's. */
  readonly handoffParams?: () => Readonly<Record<string, unknown>>;
}

/** A resource made by {@link openCell}, and what its discipline reported about it. */
export interface OpenedCell<R> {
  readonly cell: ResourceCell<R>;
  readonly detail: Readonly<Record<string, unknown>>;
}

/**
 * Makes a managed resource — the one way every kind is opened: waits at the owning plugin's gate (a
 * resource cannot appear in the middle of a reload's handoff), makes it with the provider that
 * serves now through the kind's discipline, checks it with the discipline's `checkResource`, and
 * attaches it to the plugin.
 */
export async function openCell<R>(core: HostCore, spec: OpenSpec<R>): Promise<OpenedCell<R>> {
  core.assertOpen('call');
  const discipline = core.disciplines.require(spec.kind);
  if (!spec.make && !discipline.open) {
    throw new ReloadError({
      code: 'INVALID_ARGUMENT',
      phase: 'call',
      kind: spec.kind,
      message: `surface kind '${spec.kind}' has no open() in its discipline: pass make`,
    });
  }
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
      const site = { kind: spec.kind, name: spec.name, plugin: slot.name, version: entry.version.version };
      const opened: OpenedResource<R> = spec.make
        ? { resource: await spec.make(entry.provider) }
        : ((await discipline.open!(entry.provider, spec.request as Readonly<Record<string, unknown>>, {
            kind: spec.kind,
            name: spec.name,
            signal: spec.signal,
            call: async (step, fn) => {
              try {
                return await fn();
              } catch (error) {
                throw providerError(site, step, error);
              }
            },
          })) as OpenedResource<R>);
      const value = opened.resource;
      const problem = discipline.checkResource
        ? discipline.checkResource(value)
        : value === undefined || value === null
          ? 'no resource was made'
          : undefined;
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
      const fixed = opened.params ?? {};
      const dynamic = spec.handoffParams;
      const cell = new ResourceCell<R>(
        spec.kind,
        spec.name,
        spec.key,
        slot,
        discipline,
        { value, provider: entry.provider, version: entry.version },
        dynamic ? () => ({ ...fixed, ...dynamic() }) : () => fixed,
      );
      slot.attach(cell as ResourceCell);
      return { cell, detail: opened.detail ?? {} };
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
    slot.detach(cell);
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
