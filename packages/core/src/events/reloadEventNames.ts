import type { HostEventMap, ReloadEventBase } from './hostEvents.js';

/** The name of a host event a reload emits: one whose payload carries {@link ReloadEventBase}. */
export type ReloadEventName = {
  [E in keyof HostEventMap]: HostEventMap[E] extends ReloadEventBase ? E : never;
}[keyof HostEventMap];

// One entry per reload event, checked both ways against HostEventMap: a reload event missing here,
// or a name that is none, fails to compile.
const phases = {
  started: true,
  compatChecked: true,
  prepared: true,
  quiesced: true,
  drained: true,
  dispatched: true,
  committed: true,
  rolledBack: true,
  retired: true,
} as const satisfies Record<ReloadEventName, true>;

/**
 * Every event a reload emits, in phase order: `started`, `compatChecked`, `prepared`,
 * `quiesced`, `drained`,
 * `dispatched`, `committed`, then `retired` once the old versions are released; a reload that fails
 * emits `rolledBack` instead of the phases after the one that failed. Subscribe to all of them with
 * `for (const name of reloadEventNames) host.on(name, …)`.
 */
export const reloadEventNames: readonly ReloadEventName[] = Object.freeze(
  Object.keys(phases) as (keyof typeof phases)[],
);
