import type { DependencyContainer } from 'tsyringe';
import type { RegistrationSet } from '../dispatch/registrationSet.js';
import { ReloadError } from '../errors/reloadError.js';
import { runtimeOf } from '../loader/bundle/pluginRuntime.js';
import type { RuntimeLeftover } from '../loader/bundle/pluginRuntime.js';
import { LeaseCounter } from './leaseCounter.js';
import type { PluginDefinition } from './pluginDefinition.js';
import { disposeScope } from './scope.js';
import type { PluginInfo } from './scope.js';

/** Lifecycle of one loaded version: staged (invisible) → active → retiring → retired, or discarded. */
export type VersionState = 'staged' | 'active' | 'retiring' | 'retired' | 'discarded';

/** The only transitions a version makes, in one table. */
const TRANSITIONS: { readonly [S in VersionState]: readonly VersionState[] } = {
  staged: ['active', 'discarded'],
  active: ['retiring'],
  retiring: ['retired'],
  retired: [],
  discarded: [],
};

/** One version of a plugin inside a host: its registrations, its scope and its in-flight calls. */
export class PluginVersion {
  /** Calls in flight on this version's surfaces (leases). It retires when they reach zero. */
  readonly leases = new LeaseCounter();
  /** Releases one lease; allocated once so the call path allocates no closure. */
  readonly releaseLease = (): void => {
    this.leases.release();
  };
  #state: VersionState = 'staged';

  constructor(
    readonly definition: PluginDefinition,
    readonly info: PluginInfo,
    readonly registrations: RegistrationSet,
    readonly scope: DependencyContainer,
    /** What `registrar.onRetire` collected. */
    readonly retireHooks: readonly (() => unknown)[] = [],
    /** Told what a bundled version's code still held when it was retired or discarded (cleared). */
    readonly onLeftovers: (leftovers: readonly RuntimeLeftover[]) => void = () => undefined,
  ) {}

  #leftovers: readonly RuntimeLeftover[] = [];

  /** The timers and `process` listeners its code still held when it was retired or discarded (cleared then). */
  get leftovers(): readonly RuntimeLeftover[] {
    return this.#leftovers;
  }

  /** Where this version is in its lifecycle. */
  get state(): VersionState {
    return this.#state;
  }

  /**
   * Moves this version to `next` — the one place its state changes. A transition the table does
   * not allow is a bug in the host: it throws `INTERNAL` rather than corrupt the lifecycle.
   */
  transition(next: VersionState): void {
    if (!TRANSITIONS[this.#state].includes(next))
      throw new ReloadError({
        code: 'INTERNAL',
        plugin: this.name,
        message: `plugin '${this.name}' ${this.version}: a version that is ${this.#state} cannot become ${next}`,
      });
    this.#state = next;
  }

  /** Discards a staged version that never served: disposes its scope (errors are dropped with it). */
  async discard(): Promise<void> {
    this.transition('discarded');
    await this.dispose();
  }

  /**
   * Retires an active version once its in-flight calls finished: disposes its scope and returns the
   * errors of its retire hooks (never throws).
   */
  async retire(): Promise<unknown[]> {
    if (this.#state === 'active') this.transition('retiring');
    await this.leases.whenIdle();
    const errors = await this.dispose();
    this.transition('retired');
    return errors;
  }

  /**
   * Runs the retire hooks and disposes the scope, then clears the timers and listeners a bundled
   * version's code still holds (reported to `onLeftovers`); returns the errors (never throws).
   */
  private async dispose(): Promise<unknown[]> {
    const errors = await disposeScope(this.scope, this.retireHooks);
    this.#leftovers = releaseRuntime(this.definition, this.onLeftovers);
    return errors;
  }

  get name(): string {
    return this.info.name;
  }

  get version(): string {
    return this.info.version;
  }

  get dependsOn(): readonly string[] {
    return this.definition.dependsOn ?? [];
  }
}

/**
 * Clears what the code of a bundled `definition` still holds, and tells `report` when it held
 * anything; returns it. A definition that is no bundle holds nothing Baton tracks.
 */
export function releaseRuntime(
  definition: PluginDefinition,
  report: (leftovers: readonly RuntimeLeftover[]) => void,
): readonly RuntimeLeftover[] {
  const leftovers = runtimeOf(definition)?.release() ?? [];
  if (leftovers.length > 0) report(leftovers);
  return leftovers;
}
