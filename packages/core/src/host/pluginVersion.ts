import type { DependencyContainer } from 'tsyringe';
import type { RegistrationSet } from '../dispatch/registrationSet.js';
import { LeaseCounter } from './leaseCounter.js';
import type { PluginDefinition } from './pluginDefinition.js';
import { disposeScope } from './scope.js';
import type { PluginInfo } from './scope.js';

/** Lifecycle of one loaded version: staged (invisible) → active → retiring → retired, or discarded. */
export type VersionState = 'staged' | 'active' | 'retiring' | 'retired' | 'discarded';

/** One version of a plugin inside a host: its registrations, its scope and its in-flight calls. */
export class PluginVersion {
  /** Calls in flight on this version's surfaces (leases). It retires when they reach zero. */
  readonly leases = new LeaseCounter();
  /** Releases one lease; allocated once so the call path allocates no closure. */
  readonly releaseLease = (): void => this.leases.release();
  state: VersionState = 'staged';

  constructor(
    readonly definition: PluginDefinition,
    readonly info: PluginInfo,
    readonly registrations: RegistrationSet,
    readonly scope: DependencyContainer,
    /** What `registrar.onRetire` collected. */
    readonly retireHooks: readonly (() => unknown)[] = [],
  ) {}

  /** Runs the retire hooks and disposes the scope; returns the errors (never throws). */
  dispose(): Promise<unknown[]> {
    return disposeScope(this.scope, this.retireHooks);
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
